#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a few seconds each
# (FUZZTIME, default 4s): the seed corpus first (as go test does), then
# new inputs. Targets are found with `go test -list`, so a new FuzzXxx
# runs here without being named. Exits non-zero on the first failure; the
# failing input is left in that package's testdata/fuzz for `go test` to
# replay.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
fuzztime=${FUZZTIME:-4s}

n=0
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	grep -lqs '^func Fuzz' "$dir"/*_test.go 2>/dev/null || continue
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== fuzz $pkg $target ($fuzztime)"
		go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
		n=$((n + 1))
	done
done
echo "fuzzed $n targets for $fuzztime each"
[ "$n" -gt 0 ]
