// Package testenv gives tests what this machine may lack, the one way:
// a test that needs an outside server asks here, and skips with a one-line
// reason when it is not configured. A plain `go test ./...` on a laptop
// without ClickHouse therefore passes what it can; scripts/test.sh (and CI)
// starts the servers and fails on any skip (internal/testreport), so a skip
// never hides there.
package testenv

import (
	"os"
	"testing"
)

// ClickHouseDSNVar names the variable that holds the test server's DSN,
// e.g. clickhouse://127.0.0.1:19000/default.
const ClickHouseDSNVar = "LOQUAT_TEST_CLICKHOUSE_DSN"

// ClickHouseDSN returns the test ClickHouse server's DSN, or skips t.
func ClickHouseDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(ClickHouseDSNVar)
	if dsn == "" {
		t.Skipf("no ClickHouse: %s is unset (scripts/test.sh starts one; or eval \"$(scripts/clickhouse.sh start)\")", ClickHouseDSNVar)
	}
	return dsn
}
