package bench_test

import (
	"os"
	"testing"

	"github.com/loquat-dev/loquat/internal/gctuning"
)

// TestMain runs the benchmarks with the loquat binary's garbage collector
// setting (internal/gctuning, unless GOGC or GOMEMLIMIT are set), so that they
// measure what `loquat` runs.
func TestMain(m *testing.M) {
	gctuning.Apply()
	os.Exit(m.Run())
}
