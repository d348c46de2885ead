package jd_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestCaughtUpPollerRests: once caught up, Run waits Interval before it
// calls again. Counted at the simulated platform's HTTP side, over the
// real clock, the platform answering after 5ms as one across a network
// does. (JD's windows end on whole seconds, which kept the old poller to
// about one extra call a second; Kuaishou's millisecond windows did not.)
func TestCaughtUpPollerRests(t *testing.T) {
	now := time.Now()
	book, err := jdsim.Generate(jdsim.GenerateOptions{From: now.Add(-3 * time.Hour), Span: 2 * time.Hour, Orders: 40, Seed: 3})
	mustNoErr(t, err)
	sim := newSim(t, jdsim.Options{Clock: time.Now})
	mustNoErr(t, sim.AddOrders(book.Orders...))
	r := newRig(t, sim, latency(5*time.Millisecond))
	cfg := r.config(now.Add(-4 * time.Hour))
	cfg.Now, cfg.Interval = time.Now, 0 // the real clock, the default Interval (30s)
	p := r.poller(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustNoErr(t, p.RunOnce(ctx))
	calls := sim.Requests()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	time.Sleep(5 * time.Second)
	stop()
	mustNoErr(t, <-done)
	if got := sim.Requests() - calls; got > 2 {
		t.Errorf("a caught-up poller called the platform %d times in 5s; want at most 2: it must rest its Interval", got)
	}
	if st := p.Status(); st.CaughtUpAt.IsZero() || int(st.Calls) != sim.Requests() || st.Errors != 0 {
		t.Errorf("status %+v: want caught up, %d calls (the platform's count), no errors", st, sim.Requests())
	}
}

// latency delays every answer by d.
func latency(d time.Duration) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(d)
			h.ServeHTTP(w, r)
		})
	}
}

// TestStartBeyondLookback: a Start further back than JD searches does not
// stop the poller (JD would refuse the window as a parameter error, which
// no retry cures): it polls from the earliest JD allows, logs why and what
// to do, and its Status shows the gap.
func TestStartBeyondLookback(t *testing.T) {
	r := newClockedRig(t, jdsim.Options{MaxLookback: jd.DefaultMaxLookback}, nil)
	recent, err := jdsim.Generate(jdsim.GenerateOptions{From: china("2020-09-01 12:00:00"), Span: 24 * time.Hour, Orders: 30, Seed: 4})
	mustNoErr(t, err)
	mustNoErr(t, r.Sim.AddOrders(recent.Orders...))
	now := recent.Settled.Add(10 * time.Minute)
	r.Clock.Set(now)
	start := now.AddDate(0, 0, -120)
	cfg := r.config(start)
	cfg.Window = 30 * 24 * time.Hour
	p := r.poller(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce with a start 120 days back: %v; want it to poll from the earliest JD allows", err)
	}
	if got, want := tally(r.Sink.Events()), figures(recent.Ledger); got.Totals != want.Totals {
		t.Errorf("events add up to %+v, the platform's ledger to %+v", got.Totals, want.Totals)
	}
	floor := now.Add(-jd.DefaultMaxLookback)
	st := p.Status()
	if !st.GapFrom.Equal(start.Truncate(time.Second)) || st.GapTo.Before(floor) || st.GapTo.After(floor.Add(2*time.Hour)) {
		t.Errorf("status gap %s – %s; want from the start %s to just after %s", st.GapFrom, st.GapTo, start, floor)
	}
	if st.CoveredTo.Before(now.Add(-2*time.Minute)) || st.CaughtUpAt.IsZero() {
		t.Errorf("status %+v: want covered to about now and caught up", st)
	}
	logged := r.Logs.Find("starts at the earliest time the platform searches; import older orders from the platform's export (loquat import)")
	if len(logged) == 0 || logged[0]["level"] != "WARN" || logged[0]["polling_from"] == "" {
		t.Errorf("logged %v; want a warning naming where polling starts and loquat import for older orders", logged)
	}
}
