#!/usr/bin/env bash
# Runs every test of Loquat: vet, gofmt, then the whole suite with the race
# detector. Besides Go it needs a ClickHouse server for the ClickHouse store's
# tests: it installs clickhouse-server from Debian when missing (18.16 there),
# starts one on 127.0.0.1 with a config and data dir in a temporary directory,
# and stops it at the end. The same tests run the store on the current
# ClickHouse (26.7) through chDB, the engine as a library: scripts/chdb.sh
# installs libchdb.so from npm into a cache directory when missing, and the
# tag chdb builds those tests (without it they skip, as without a server).
# Everything else the tests start themselves (simulated platforms, kfake
# Kafka brokers, the built loquat binary).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

echo "== go vet"
go vet -tags chdb ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
echo "== chDB (ClickHouse 26.7 as a library)"
chdb_env=$(scripts/chdb.sh install) # a failed install stops the script here
eval "$chdb_env"
echo "libchdb.so for the tests: $CHDB_LIB_PATH"
echo "== ClickHouse"
eval "$(scripts/clickhouse.sh start)"
trap 'scripts/clickhouse.sh stop "$CLICKHOUSE_PID" "$CLICKHOUSE_DIR"' EXIT
echo "ClickHouse for the tests: $LOQUAT_TEST_CLICKHOUSE_DSN"

echo "== go test -race"
# Every test but the chDB run, with the race detector; beside it, at the
# same time, the chDB run (the store's SQL on ClickHouse 26.7, one
# statement at a time, no goroutines of its own to race) without it. The
# two overlap well on two cores: the race run waits on servers, sleeps and
# brokers much of its time, the chDB run is the engine's CPU. Together
# they keep CI well under twenty minutes. internal/testreport prints the
# ok/FAIL lines and "N passed, N failed, N skipped", and fails on any
# failure or skip but those of Watermill's universal Pub/Sub suite, which
# skips the features a Pub/Sub declares it lacks (and
# TestWatermillReconnect, see its comment).
go build -o "${TMPDIR:-/tmp}/loquat-testreport" ./internal/testreport
chdb_out=$(mktemp)
chdb_err=$(mktemp)
chdb_done=$(mktemp)
{
	go test -count=1 -timeout 20m -tags chdb -run '^TestOnCurrentClickHouse$' -json ./projections/clickhouse/ >"$chdb_out" 2>"$chdb_err" || true
	echo done >"$chdb_done"
} &
set +o pipefail
{
	# Each run's failures are in its JSON; the report reads both.
	go test -race -count=1 -timeout 30m -tags chdb -skip '^TestOnCurrentClickHouse$' -json ./... || true
	while [ ! -s "$chdb_done" ]; do sleep 1; done # the pipeline's subshell cannot wait for it
	cat "$chdb_err" >&2
	cat "$chdb_out"
} | "${TMPDIR:-/tmp}/loquat-testreport" -allow-skip-re '^TestWatermill(UniversalSuite/|Reconnect$)'
status=${PIPESTATUS[1]}
set -o pipefail
rm -f "$chdb_out" "$chdb_err" "$chdb_done"
[ "$status" -eq 0 ] || exit "$status"

echo "== fuzz"
FUZZTIME=${FUZZTIME:-3s} scripts/fuzz.sh
