package ingesttest

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// Crashes is how PollThrough crashes a poller as the clock moves on.
type Crashes struct {
	// Rng draws the crashes; a fixed seed makes a run repeatable.
	Rng *rand.Rand
	// Clock is the clock the poller and the simulator read; Killer wraps
	// the simulator's handler; Cursors is the poller's cursor store.
	Clock   *Clock
	Killer  *Killer
	Cursors *Cursors
	// The clock goes from From plus Step, Step by Step, until a run at a
	// time after Until has caught up.
	From, Until time.Time
	Step        time.Duration
	// Two runs in three are killed after 1 to MaxKillAfter requests, before
	// or after the last one is answered.
	MaxKillAfter int
	// One run in FailSaveOneIn has its first cursor save fail; 0 or
	// less: none does.
	FailSaveOneIn int
	// MaxRestarts bounds the runs at one time that fail. Default 50.
	MaxRestarts int
}

// PollThrough calls runOnce (a new poller's RunOnce: a restart with
// nothing in memory) with the crashes, again at each time until it
// succeeds, and counts the runs killed and those the cursor store failed.
// Any other failure, or more than MaxRestarts, ends the test.
func (c Crashes) PollThrough(t testing.TB, runOnce func(context.Context) error) (restarts, storeFailures int) {
	t.Helper()
	maxRestarts := c.MaxRestarts
	if maxRestarts == 0 {
		maxRestarts = 50
	}
	for now := c.From.Add(c.Step); ; now = now.Add(c.Step) {
		c.Clock.Set(now)
		for attempt := 1; ; attempt++ {
			if attempt > maxRestarts {
				t.Fatalf("at %s: still failing after %d restarts", now, maxRestarts)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if c.Rng.IntN(3) > 0 {
				c.Killer.Arm(1+c.Rng.IntN(c.MaxKillAfter), c.Rng.IntN(2) == 0, cancel)
			}
			if c.FailSaveOneIn > 0 && c.Rng.IntN(c.FailSaveOneIn) == 0 {
				c.Cursors.FailNextSaves(1)
			}
			err := runOnce(ctx)
			killed := ctx.Err() != nil
			c.Killer.Disarm()
			cancel()
			if err == nil {
				break
			}
			switch {
			case killed:
				restarts++
			case errors.Is(err, ErrStoreDown):
				storeFailures++
			default:
				t.Fatalf("at %s: %v", now, err)
			}
		}
		if now.After(c.Until) {
			return restarts, storeFailures
		}
	}
}
