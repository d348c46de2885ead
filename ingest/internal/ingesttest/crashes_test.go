package ingesttest

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPollThrough(t *testing.T) {
	k, cursors, clock := &Killer{}, &Cursors{}, &Clock{}
	platform := k.Wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	from := China("2020-05-01 00:00:00")
	c := Crashes{
		Rng: rand.New(rand.NewPCG(1, 2)), Clock: clock, Killer: k, Cursors: cursors,
		From: from, Until: from.Add(10 * time.Hour), Step: time.Hour, MaxKillAfter: 3, FailSaveOneIn: 4,
	}
	runs := 0
	at := map[time.Time]int{}
	restarts, storeFailures := c.PollThrough(t, func(ctx context.Context) error {
		runs++
		at[clock.Now()]++
		for range 3 { // three requests, then the cursor is saved
			if err := ctx.Err(); err != nil {
				return err
			}
			platform.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return cursors.Save(ctx, "c", clock.Now().Format(time.RFC3339))
	})
	if len(at) != 11 || at[from] != 0 || at[from.Add(11*time.Hour)] == 0 {
		t.Errorf("ran at %d times, want each hour from From+1h to the first past Until", len(at))
	}
	if runs != len(at)+restarts+storeFailures || restarts == 0 || storeFailures == 0 {
		t.Errorf("%d runs, %d restarts, %d store failures: want a success at each time, and some of each failure", runs, restarts, storeFailures)
	}
	if got := cursors.Get("c"); got != from.Add(11*time.Hour).Format(time.RFC3339) {
		t.Errorf("cursor %q, want the last time's", got)
	}
}
