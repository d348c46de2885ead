package clickhouse_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the tests and benchmarks with the loquat binary's garbage
// collector setting (GOGC=400 unless GOGC is set; see cmd/loquat), so that
// BenchmarkWriteRate measures what `loquat` runs; the yardstick runs in the
// same process under the same setting.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
