package gctuning

import (
	"runtime/debug"
	"testing"
)

// TestApply: Apply, and UseClickHouseLimit after it, set what the
// environment leaves unset and keep what it sets (the runtime has read GOGC
// and GOMEMLIMIT at start; the sentinels stand for those values here).
func TestApply(t *testing.T) {
	const sentinelPercent, sentinelLimit = 123, 456 << 20
	limit := memoryLimit(MemoryLimit, containerLimit(cgroupLimits)) // this machine's
	chLimit := memoryLimit(ClickHouseMemoryLimit, containerLimit(cgroupLimits))
	if limit >= chLimit && containerLimit(cgroupLimits) == 0 {
		t.Fatalf("the embedded limit %d is not below ClickHouse's %d", limit, chLimit)
	}
	tests := []struct {
		name, gogc, memlimit string
		clickhouse           bool
		wantPercent          int
		wantLimit            int64
	}{
		{"environment silent", "", "", false, Percent, limit},
		{"GOGC set", "123", "", false, sentinelPercent, limit},
		{"GOMEMLIMIT set", "", "456MiB", false, Percent, sentinelLimit},
		{"both set", "123", "456MiB", false, sentinelPercent, sentinelLimit},
		{"ClickHouse, environment silent", "", "", true, Percent, chLimit},
		{"ClickHouse, GOMEMLIMIT set", "", "456MiB", true, Percent, sentinelLimit},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOGC", tt.gogc)
			t.Setenv("GOMEMLIMIT", tt.memlimit)
			debug.SetGCPercent(sentinelPercent)
			debug.SetMemoryLimit(sentinelLimit)
			Apply()
			if tt.clickhouse {
				UseClickHouseLimit()
			}
			if got := debug.SetGCPercent(sentinelPercent); got != tt.wantPercent {
				t.Errorf("GC percent %d, want %d", got, tt.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tt.wantLimit)
			}
		})
	}
}
