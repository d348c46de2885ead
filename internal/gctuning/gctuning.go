// Package gctuning holds the garbage-collector settings the loquat binary
// runs with, so that its benchmarks run with the same ones.
package gctuning

import (
	"os"
	"runtime/debug"
)

const (
	// Percent is GOGC. The heap is small and short-lived (batches of
	// events, HTTP bodies), so collecting an eighth as often as Go's
	// default buys throughput: 78-86 µs of CPU per event against 95-121
	// at 400 in `loquat bench`, side by side (BENCHMARKS.md).
	Percent = 800
	// MemoryLimit is the soft limit (GOMEMLIMIT) that bounds what Percent
	// lets the heap grow to when the live heap is large — the ClickHouse
	// store's line cache — by collecting earlier.
	MemoryLimit = 2 << 30
)

// Apply sets Percent and MemoryLimit, each unless the environment sets it
// (GOGC, GOMEMLIMIT).
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
