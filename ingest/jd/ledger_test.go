package jd_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestLedgerThroughRestartsAndFailures polls a generated book of thousands
// of orders changing over eight days — paid, shipped, completed, cancelled
// after payment, never paid — as the clock moves on, over many pages and
// windows, while the simulator rate-limits, is busy and fails with HTTP 500,
// the poller is killed and restarted from the same cursor store many times
// (with no memory) and the cursor store sometimes fails a save. The events,
// deduplicated by id, must give the simulator's own ledger to the fen.
func TestLedgerThroughRestartsAndFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("polls a generated week")
	}
	from := china("2020-04-28 00:00:00")
	book, err := jdsim.Generate(jdsim.GenerateOptions{From: from, Span: 72 * time.Hour, Orders: 3000, Seed: 7, IndexLag: 5 * time.Minute})
	mustNoErr(t, err)
	k := &ingesttest.Killer{}
	r := newClockedRig(t, jdsim.Options{RateLimitEvery: 7, BusyEvery: 17, FailEvery: 11}, k.Wrap)
	mustNoErr(t, r.Sim.AddOrders(book.Orders...))
	cfg := r.config(from)
	cfg.PageSize, cfg.MaxAttempts = 20, 6

	crashes := ingesttest.Crashes{
		Rng: rand.New(rand.NewPCG(1, 2)), Clock: r.Clock, Killer: k, Cursors: r.Cursors,
		From: from, Until: book.Settled.Add(cfg.SafetyLag + time.Minute), Step: 37*time.Minute + 13*time.Second,
		MaxKillAfter: 25, FailSaveOneIn: 6,
	}
	// A new poller for every run: a restart with nothing in memory.
	restarts, storeFailures := crashes.PollThrough(t, func(ctx context.Context) error { return r.poller(t, cfg).RunOnce(ctx) })
	ingesttest.WantNoDeadLetters(t, r.Sink)
	ingesttest.WantFigures(t, tally(r.Sink.Events()), figures(book.Ledger))

	// The run covered what it claims to.
	answered := r.Sim.Answered()
	if restarts < 5 || storeFailures < 2 || answered[jdsim.CodeAppCallLimited] == 0 || answered[jdsim.CodeBackendUnavailable] == 0 || answered["500"] == 0 {
		t.Errorf("want restarts, cursor-store failures, rate limits, busy answers and HTTP 500s; got %d restarts, %d store failures, answers %v", restarts, storeFailures, answered)
	}
	if n := ingesttest.PaidThenCancelledLater(r.Sink.Batches()); n == 0 {
		t.Error("no order was seen paid and only later cancelled: the test would not cover a later window picking up a change")
	}
	if answered["ok"] < 400 {
		t.Errorf("want hundreds of pages, got %d", answered["ok"])
	}
	t.Logf("%d orders, %d pages answered, %d restarts, %d cursor-store failures, answers %v", book.Ledger.OrdersCreated, answered["ok"], restarts, storeFailures, answered)
}
