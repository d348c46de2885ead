package kuaishou_test

import (
	"testing"
	"time"
)

// TestPlatformClockBehind: the platform's clock 5 minutes behind ours
// (within the 10 it accepts) loses no order
// (ingesttest.Polled.WantPlatformClockBehind).
func TestPlatformClockBehind(t *testing.T) {
	polled.WantPlatformClockBehind(t, 5*time.Minute)
}
