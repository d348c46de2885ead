package jd_test

import (
	"testing"
	"time"
)

// TestCaughtUpPollerRests: once caught up, Run waits Interval before it
// calls again (ingesttest.Polled.WantCaughtUpPollerRests). (JD's windows
// end on whole seconds, which kept the old poller to about one extra call
// a second; Kuaishou's millisecond windows did not.)
func TestCaughtUpPollerRests(t *testing.T) {
	polled.WantCaughtUpPollerRests(t)
}

// TestStartBeyondLookback: a Start further back than JD searches does not
// stop the poller (JD would refuse the window as a parameter error, which
// no retry cures): it polls from the earliest JD allows, logs why and what
// to do, and its Status shows the gap.
func TestStartBeyondLookback(t *testing.T) {
	polled.WantStartBeyondLookback(t, 30*24*time.Hour)
}
