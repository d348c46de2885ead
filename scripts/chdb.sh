#!/usr/bin/env bash
# Installs chDB — the ClickHouse engine as a library, libchdb.so — for the
# ClickHouse store's tests on the current ClickHouse (projections/clickhouse,
# TestOnCurrentClickHouse). No ClickHouse server can be downloaded here; the
# library comes from npm, pinned: @chdb/lib-linux-x64-gnu@26.7.3-stable.1
# (ClickHouse 26.7.2; a 178 MB package, 566 MB unpacked). It is unpacked
# into a cache directory once, and chdb-go (github.com/chdb-io/chdb-go,
# through purego, no cgo) is pointed at it with CHDB_LIB_PATH. Usage:
#   eval "$(scripts/chdb.sh install)"   # sets CHDB_LIB_PATH
#
# LOQUAT_CHDB_CACHE overrides the cache directory (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/loquat/chdb).
set -euo pipefail

package=@chdb/lib-linux-x64-gnu
version=26.7.3-stable.1
# The package's integrity, as npm reports it: a changed tarball is refused.
shasum=d2905fafd0e0ac0e231cccadd1f0f6d010977297

install() {
	cache=${LOQUAT_CHDB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loquat/chdb}
	dir=$cache/$version
	lib=$dir/libchdb.so
	if [ ! -s "$lib" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			echo "scripts/chdb.sh: npm is needed to fetch $package@$version (apt-get install -y npm)" >&2
			return 1
		fi
		echo "fetching $package@$version (178 MB) into $dir..." >&2
		mkdir -p "$dir"
		tmp=$(mktemp -d "$cache/fetch-XXXXXX")
		trap 'rm -rf "$tmp"' RETURN
		(cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
		tarball=$(ls "$tmp"/*.tgz)
		got=$(sha1sum "$tarball" | cut -d' ' -f1)
		if [ "$got" != "$shasum" ]; then
			echo "scripts/chdb.sh: $tarball has sha1 $got, want $shasum" >&2
			return 1
		fi
		tar -xzf "$tarball" -C "$tmp" package/libchdb.so
		mv "$tmp/package/libchdb.so" "$lib.partial"
		mv "$lib.partial" "$lib"
	fi
	# Also where chdb-go looks without CHDB_LIB_PATH, so that a plain
	# `go test ./projections/clickhouse` finds it — unless another
	# libchdb.so is there.
	link=/usr/local/lib/libchdb.so
	if [ -w /usr/local/lib ] && { [ ! -e "$link" ] || [[ "$(readlink "$link")" == "$cache"/* ]]; }; then
		ln -sfn "$lib" "$link"
	fi
	echo "export CHDB_LIB_PATH=$lib"
}

case "${1:-}" in
install) install ;;
*) echo "usage: $0 install" >&2; exit 2 ;;
esac
