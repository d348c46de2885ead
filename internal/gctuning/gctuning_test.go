package gctuning

import (
	"runtime/debug"
	"testing"
)

// TestApply: Apply sets what the environment leaves unset and keeps what it
// sets (the runtime has read GOGC and GOMEMLIMIT at start; the sentinels
// stand for those values here).
func TestApply(t *testing.T) {
	const sentinelPercent, sentinelLimit = 123, 456 << 20
	limit := memoryLimit(containerLimit(cgroupLimits)) // this machine's
	tests := []struct {
		name, gogc, memlimit string
		wantPercent          int
		wantLimit            int64
	}{
		{"environment silent", "", "", Percent, limit},
		{"GOGC set", "123", "", sentinelPercent, limit},
		{"GOMEMLIMIT set", "", "456MiB", Percent, sentinelLimit},
		{"both set", "123", "456MiB", sentinelPercent, sentinelLimit},
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
			if got := debug.SetGCPercent(sentinelPercent); got != tt.wantPercent {
				t.Errorf("GC percent %d, want %d", got, tt.wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != tt.wantLimit {
				t.Errorf("memory limit %d, want %d", got, tt.wantLimit)
			}
		})
	}
}
