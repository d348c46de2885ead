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
# 45m: projections/clickhouse runs its tests twice, on the 18.16 server and
# on chDB (a few milliseconds a statement, one at a time): 22 minutes with
# -race on a 2-core machine shared with other test runs.
go test -race -count=1 -timeout 45m -tags chdb ./...
