package kuaishou_test

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// killer cancels a poller's context after a number of requests, before or
// after the simulator answers the last one, and records each request's
// pcursor.
type killer struct {
	mu       sync.Mutex
	left     int
	early    bool
	cancel   context.CancelFunc
	pcursors []string
}

func (k *killer) arm(after int, early bool, cancel context.CancelFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left, k.early, k.cancel = after, early, cancel
}

func (k *killer) disarm() { k.arm(0, false, nil) }

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

// requests returns the pcursors sent since the n-th request.
func (k *killer) requestsSince(n int) []string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]string(nil), k.pcursors[n:]...)
}

func (k *killer) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.pcursors)
}

func (k *killer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct{ Pcursor string }
		_ = json.Unmarshal([]byte(r.URL.Query().Get("param")), &p)
		k.mu.Lock()
		k.pcursors = append(k.pcursors, p.Pcursor)
		k.mu.Unlock()
		if c := k.due(true); c != nil {
			c()
		}
		h.ServeHTTP(w, r)
		if c := k.due(false); c != nil {
			c()
		}
	})
}

// savedPcursor is the pcursor of the window the cursor store holds, if any.
func savedPcursor(c *memCursors) string {
	var st struct {
		Window *struct{ Pcursor string } `json:"window"`
	}
	_ = json.Unmarshal([]byte(c.Get("kuaishou")), &st)
	if st.Window == nil {
		return ""
	}
	return st.Window.Pcursor
}

// TestLedgerThroughRestartsAndFailures polls a generated book of thousands
// of orders changing over a week — paid, shipped, received, succeeded,
// closed after payment or after shipment, never paid — as the clock moves
// on, over many pages and windows, while the simulator rate-limits and
// fails with HTTP 500, the poller is killed and restarted (with no memory)
// from the same cursor store many times, between pages and during them, and
// the cursor store sometimes fails a save. The events, deduplicated by id,
// must give the simulator's own ledger to the fen, livestreams included, and
// restarts between pages must resume at the next page.
func TestLedgerThroughRestartsAndFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("polls a generated week")
	}
	from := china("2020-04-28 00:00:00")
	book, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: from, Span: 72 * time.Hour, Orders: 3000, Seed: 11, IndexLag: 5 * time.Minute})
	mustNoErr(t, err)
	k := &killer{}
	r := newClockedRig(t, kuaishousim.Options{RateLimitEvery: 7, FailEvery: 11}, k.wrap)
	mustNoErr(t, r.sim.AddOrders(book.Orders...))
	cfg := r.config(from)
	cfg.PageSize, cfg.MaxAttempts = 20, 6

	rng := rand.New(rand.NewPCG(3, 4))
	restarts, resumedMidWindow, storeFailures := 0, 0, 0
	const step = 41*time.Minute + 7*time.Second
	for now := from.Add(step); ; now = now.Add(step) {
		r.clock.Set(now)
		for attempt := 1; ; attempt++ {
			if attempt > 50 {
				t.Fatalf("at %s: still failing after 50 restarts", now)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if rng.IntN(3) > 0 {
				k.arm(1+rng.IntN(6), rng.IntN(2) == 0, cancel)
			}
			if rng.IntN(8) == 0 {
				r.cursors.FailNextSaves(1)
			}
			resumeAt, sent := savedPcursor(r.cursors), k.count()
			err := r.poller(t, cfg).RunOnce(ctx)
			killed := ctx.Err() != nil
			k.disarm()
			cancel()
			if resumeAt != "" {
				// A run that starts in the middle of a window asks for the
				// page after the last one appended first.
				if got := k.requestsSince(sent); len(got) > 0 && got[0] == resumeAt {
					resumedMidWindow++
				} else if len(got) > 0 {
					t.Errorf("at %s: the cursor held pcursor %q but the run asked first for %q", now, resumeAt, got[0])
				}
			}
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
	for name, pair := range map[string][2]map[string]kuaishousim.Totals{"day": {want.ByDay, got.ByDay}, "distributor": {want.ByDistributor, got.ByDistributor}} {
		w, g := pair[0], pair[1]
		if len(w) != len(g) {
			t.Errorf("by %s: want %d keys, got %d", name, len(w), len(g))
		}
		for key, wt := range w {
			if g[key] != wt {
				t.Errorf("by %s %s: want %+v, got %+v (fen)", name, key, wt, g[key])
			}
		}
	}

	answered := r.sim.Answered()
	if restarts < 5 || resumedMidWindow < 3 || storeFailures < 2 || answered["10005"] == 0 || answered["500"] == 0 {
		t.Errorf("want restarts, resumptions mid-window, cursor-store failures, rate limits and HTTP 500s; got %d restarts, %d mid-window, %d store failures, answers %v",
			restarts, resumedMidWindow, storeFailures, answered)
	}
	if n := paidThenClosedLater(r.sink.Batches()); n == 0 {
		t.Error("no order was seen paid and only later closed: the test would not cover a later window picking up a change")
	}
	if answered["1"] < 400 {
		t.Errorf("want hundreds of pages, got %d", answered["1"])
	}
	t.Logf("%d orders, %d pages answered, %d restarts (%d mid-window), %d cursor-store failures, answers %v",
		want.OrdersCreated, answered["1"], restarts, resumedMidWindow, storeFailures, answered)
}

// paidThenClosedLater counts orders whose payment was appended in an
// earlier batch than their closing.
func paidThenClosedLater(batches [][]domain.Event) int {
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
					paidIn[e.OrderID] = len(batches)
				}
			}
		}
	}
	return n
}
