#!/usr/bin/env bash
# Runs every test of Loquat: vet, then the whole suite with the race detector.
# It needs only Go: the embedded event log and read model are pure-Go SQLite,
# and the tests start what they talk to (simulated platforms, servers, the
# built loquat binary as a child process).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
echo "== go test -race"
go test -race -count=1 -timeout 15m ./...
