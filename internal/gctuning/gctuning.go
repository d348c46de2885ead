// Package gctuning holds the garbage-collector settings the loquat binary
// runs with, so that its benchmarks run with the same ones.
package gctuning

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

const (
	// Percent is GOGC. The heap is small and short-lived (batches of
	// events, HTTP bodies), so collecting an eighth as often as Go's
	// default buys throughput: in `loquat bench`, side by side, 77-86 µs
	// of CPU per event against 95-121 at 400 (BENCHMARKS.md has the runs
	// where the machine's noise hid the difference).
	Percent = 800
	// MemoryLimit is the soft limit (GOMEMLIMIT) that bounds what Percent
	// lets the heap grow to when the live heap is large — the ClickHouse
	// store's line cache — by collecting earlier. In a container with less
	// memory, the limit is ContainerShare of the container's instead.
	MemoryLimit = 2 << 30
	// ContainerShare is the part of a container's memory limit the heap may
	// use before the collector works harder: the rest is for the stacks,
	// the runtime and SQLite's page cache outside the Go heap.
	ContainerShare = 0.7
)

// cgroupLimits are where Linux states the memory limit of the process's
// container: cgroup v2, then v1. "max", or v1's near-2^63, is none.
var cgroupLimits = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// Apply sets Percent and the memory limit (MemoryLimit, or less in a
// smaller container), each unless the environment sets it (GOGC,
// GOMEMLIMIT).
func Apply() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(Percent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(containerLimit(cgroupLimits)))
	}
}

// memoryLimit is MemoryLimit, or ContainerShare of a container limit
// (bytes; 0: none) when that is smaller.
func memoryLimit(container int64) int64 {
	if container > 0 {
		if share := int64(float64(container) * ContainerShare); share < MemoryLimit {
			return share
		}
	}
	return MemoryLimit
}

// containerLimit reads the first of the files that states a limit, in
// bytes; 0 when none does (no cgroup, "max", or an unset v1 limit).
func containerLimit(files []string) int64 {
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0 // unset v1 limits read as about 2^63
		}
		return n
	}
	return 0
}
