package jd_test

import (
	"testing"
	"time"
)

// TestPlatformClockBehind: JD's clock 3 minutes behind ours (within the 6
// JD accepts) loses no order (ingesttest.Polled.WantPlatformClockBehind).
func TestPlatformClockBehind(t *testing.T) {
	polled.WantPlatformClockBehind(t, 3*time.Minute)
}
