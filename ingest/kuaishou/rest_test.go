package kuaishou_test

import (
	"testing"
	"time"
)

// TestCaughtUpPollerRests: once caught up, Run waits Interval before it
// calls again (ingesttest.Polled.WantCaughtUpPollerRests). The window end
// moves with the clock in milliseconds, so a poller that polled on as long
// as its target had moved at all called the platform and saved its cursor
// hundreds of times a second.
func TestCaughtUpPollerRests(t *testing.T) {
	polled.WantCaughtUpPollerRests(t)
}

// TestStartBeyondLookback: a Start further back than the platform's 90
// days does not stop the poller (the platform would refuse the window with
// 300005): it polls from the earliest the platform allows, logs why and
// what to do, and its Status shows the gap.
func TestStartBeyondLookback(t *testing.T) {
	r := polled.WantStartBeyondLookback(t, 6*24*time.Hour)
	if got := r.Sim.(simView).Answered()["300005"]; got != 0 {
		t.Errorf("the platform refused %d windows as beyond 90 days", got)
	}
}
