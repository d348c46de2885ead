package jd_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// killer cancels a poller's context after a number of requests, before or
// after the simulator answers the last one: a crash between pages, or
// during one.
type killer struct {
	mu     sync.Mutex
	left   int
	early  bool
	cancel context.CancelFunc
}

func (k *killer) arm(after int, early bool, cancel context.CancelFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left, k.early, k.cancel = after, early, cancel
}

func (k *killer) disarm() { k.arm(0, false, nil) }

// due counts a request and reports whether it is the one to kill at.
func (k *killer) due(early bool) context.CancelFunc {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel == nil || k.early != early {
		return nil
	}
	if k.left--; k.left > 0 {
		return nil
	}
	c := k.cancel
	k.cancel = nil
	return c
}

func (k *killer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := k.due(true); c != nil {
			c()
		}
		h.ServeHTTP(w, r)
		if c := k.due(false); c != nil {
			c()
		}
	})
}

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
	k := &killer{}
	r := newClockedRig(t, jdsim.Options{RateLimitEvery: 7, BusyEvery: 17, FailEvery: 11}, k.wrap)
	mustNoErr(t, r.sim.AddOrders(book.Orders...))
	cfg := r.config(from)
	cfg.PageSize, cfg.MaxAttempts = 20, 6

	rng := rand.New(rand.NewPCG(1, 2))
	restarts, storeFailures := 0, 0
	const step = 37*time.Minute + 13*time.Second
	for now := from.Add(step); ; now = now.Add(step) {
		r.clock.Set(now)
		for attempt := 1; ; attempt++ {
			if attempt > 50 {
				t.Fatalf("at %s: still failing after 50 restarts", now)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if rng.IntN(3) > 0 {
				k.arm(1+rng.IntN(25), rng.IntN(2) == 0, cancel)
			}
			if rng.IntN(6) == 0 {
				r.cursors.FailNextSaves(1)
			}
			// A new poller for every run: a restart with nothing in memory.
			err := r.poller(t, cfg).RunOnce(ctx)
			killed := ctx.Err() != nil
			k.disarm()
			cancel()
			if err == nil {
				break
			}
			switch {
			case killed:
				restarts++
			case errors.Is(err, errStoreDown):
				storeFailures++
			default:
				t.Fatalf("at %s: %v", now, err)
			}
		}
		if now.After(book.Settled.Add(cfg.SafetyLag + time.Minute)) {
			break
		}
	}
	if d := r.sink.DeadLetters(); len(d) != 0 {
		t.Fatalf("want no dead letters, got %d: %s", len(d), d[0].Reason)
	}

	got, want := tally(r.sink.Events()), book.Ledger
	if got.Totals != want.Totals {
		t.Errorf("totals: want %+v, got %+v (fen)", want.Totals, got.Totals)
	}
	if got.OrdersCreated != want.OrdersCreated || got.OrdersPaid != want.OrdersPaid || got.OrdersRefunded != want.OrdersRefunded {
		t.Errorf("orders created/paid/refunded: want %d/%d/%d, got %d/%d/%d",
			want.OrdersCreated, want.OrdersPaid, want.OrdersRefunded, got.OrdersCreated, got.OrdersPaid, got.OrdersRefunded)
	}
	if len(got.ByDay) != len(want.ByDay) {
		t.Errorf("by day: want %d days, got %d", len(want.ByDay), len(got.ByDay))
	}
	for day, w := range want.ByDay {
		if got.ByDay[day] != w {
			t.Errorf("day %s: want %+v, got %+v (fen)", day, w, got.ByDay[day])
		}
	}

	// The run covered what it claims to.
	answered := r.sim.Answered()
	if restarts < 5 || storeFailures < 2 || answered[jdsim.CodeAppCallLimited] == 0 || answered[jdsim.CodeBackendUnavailable] == 0 || answered["500"] == 0 {
		t.Errorf("want restarts, cursor-store failures, rate limits, busy answers and HTTP 500s; got %d restarts, %d store failures, answers %v", restarts, storeFailures, answered)
	}
	if n := paidThenCancelledLater(r.sink.Batches()); n == 0 {
		t.Error("no order was seen paid and only later cancelled: the test would not cover a later window picking up a change")
	}
	if answered["ok"] < 400 {
		t.Errorf("want hundreds of pages, got %d", answered["ok"])
	}
	t.Logf("%d orders, %d pages answered, %d restarts, %d cursor-store failures, answers %v", want.OrdersCreated, answered["ok"], restarts, storeFailures, answered)
}

// paidThenCancelledLater counts orders whose payment was appended in an
// earlier batch than their cancellation.
func paidThenCancelledLater(batches [][]domain.Event) int {
	paidIn := map[string]int{}
	n := 0
	for i, b := range batches {
		for _, e := range b {
			switch e := e.(type) {
			case *domain.OrderPaid:
				if _, ok := paidIn[e.OrderID]; !ok {
					paidIn[e.OrderID] = i
				}
			case *domain.OrderCancelled:
				if p, ok := paidIn[e.OrderID]; ok && e.WasPaid && p < i {
					n++
					paidIn[e.OrderID] = len(batches) // count once
				}
			}
		}
	}
	return n
}
