// Package testenv gives tests what this machine may lack, the one way:
// a test that needs an outside server asks here, and skips with a one-line
// reason when it is not configured. A plain `go test ./...` on a laptop
// without ClickHouse therefore passes what it can; scripts/test.sh (and CI)
// starts the servers and fails on any skip (internal/testreport), so a skip
// never hides there.
package testenv

import (
	"os"
	"os/exec"
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

// ChromiumVar names the variable that may point at a Chromium (or Chrome)
// binary for the console's browser tests; unset, Chromium is looked up on
// PATH as chromium, chromium-browser or google-chrome.
const ChromiumVar = "LOQUAT_TEST_CHROMIUM"

// Chromium returns the path of a headless-capable Chromium, or skips t.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumVar); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", ChromiumVar, p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skipf("no Chromium: none of chromium, chromium-browser, google-chrome on PATH and %s unset (scripts/test.sh installs Debian's chromium)", ChromiumVar)
	return ""
}
