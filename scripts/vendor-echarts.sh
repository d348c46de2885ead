#!/usr/bin/env bash
# Vendors Apache ECharts into the console's embedded assets: the console is
# served by the loquat binary alone (go:embed), with nothing fetched from a
# CDN, since district networks are often closed, and `go build` needs Go
# alone, so the file is committed and this script only runs to upgrade it.
#
#   scripts/vendor-echarts.sh          fetch the pinned version, copy, record sha256
#   scripts/vendor-echarts.sh verify   check the committed files against SHA256SUMS
#
# Needs npm (only to fetch the package tarball; nothing is installed).
set -euo pipefail
cd "$(dirname "$0")/.."

# ECHARTS_VERSION is the pinned echarts release on npm.
ECHARTS_VERSION=6.1.0
dest=console/assets/vendor/echarts

verify() {
	(cd "$dest" && sha256sum --check --strict SHA256SUMS)
	grep -q "^echarts@${ECHARTS_VERSION}\$" "$dest/VERSION" || {
		echo "$dest/VERSION does not say echarts@${ECHARTS_VERSION}" >&2
		exit 1
	}
}

if [ "${1:-}" = verify ]; then
	verify
	exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@${ECHARTS_VERSION}" >/dev/null)
tar -xzf "$work"/echarts-"${ECHARTS_VERSION}".tgz -C "$work"
mkdir -p "$dest"
cp "$work/package/dist/echarts.min.js" "$work/package/LICENSE" "$dest/"
if [ -f "$work/package/NOTICE" ]; then cp "$work/package/NOTICE" "$dest/"; fi
echo "echarts@${ECHARTS_VERSION}" >"$dest/VERSION"
(cd "$dest" && sha256sum echarts.min.js LICENSE $( [ -f NOTICE ] && echo NOTICE ) >SHA256SUMS)
verify
echo "vendored echarts@${ECHARTS_VERSION} into $dest:"
cat "$dest/SHA256SUMS"
