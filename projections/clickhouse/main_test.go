package clickhouse_test

import (
	"os"
	"testing"

	"github.com/loquat-dev/loquat/internal/gctuning"
)

// TestMain runs the tests and benchmarks with the loquat binary's garbage
// collector setting (internal/gctuning, unless GOGC or GOMEMLIMIT are set), so that
// BenchmarkWriteRate measures what `loquat` runs; the yardstick runs in the
// same process under the same setting.
func TestMain(m *testing.M) {
	gctuning.Apply()
	os.Exit(m.Run())
}
