package bench_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain runs the benchmarks with the loquat binary's garbage collector
// setting (GOGC=400 unless GOGC is set; see cmd/loquat), so that they
// measure what `loquat` runs.
func TestMain(m *testing.M) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	os.Exit(m.Run())
}
