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
	// MemoryLimit is the soft limit (GOMEMLIMIT) on the Go heap by
	// default: it bounds what Percent lets the heap grow to by collecting
	// earlier once the heap reaches it, so that the process's resident
	// memory does not follow GOGC's headroom — nine times the live heap
	// while an import or a rebuild churns through batches — to the 850-930
	// MB measured with a 2 GiB limit (BENCHMARKS.md, issue 14). SQLite's
	// page caches are outside the Go heap (ReadConns × ReadCacheKiB +
	// WriteCacheKiB, 128 MiB by default), so the process's peak is this and
	// those. In a container with less memory, the limit is ContainerShare
	// of the container's instead.
	MemoryLimit = 256 << 20
	// ClickHouseMemoryLimit is the soft limit for a process whose read
	// model is ClickHouse (UseClickHouseLimit): its line cache (up to
	// 1,000,000 lines by default) is live heap a lower limit would make
	// the collector run without end.
	ClickHouseMemoryLimit = 2 << 30
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
	setLimit(MemoryLimit)
}

// UseClickHouseLimit raises the memory limit to ClickHouseMemoryLimit (or
// less in a smaller container) unless the environment sets GOMEMLIMIT: for
// a process that has chosen ClickHouse as its read model, after Apply.
func UseClickHouseLimit() { setLimit(ClickHouseMemoryLimit) }

func setLimit(limit int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit(limit, containerLimit(cgroupLimits)))
	}
}

// memoryLimit is limit, or ContainerShare of a container limit (bytes; 0:
// none) when that is smaller.
func memoryLimit(limit, container int64) int64 {
	if container > 0 {
		if share := int64(float64(container) * ContainerShare); share < limit {
			return share
		}
	}
	return limit
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
