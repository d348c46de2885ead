package kuaishou_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// pcursorLog records the pcursor of every request a handler is asked.
type pcursorLog struct {
	mu   sync.Mutex
	sent []string
}

func (l *pcursorLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct{ Pcursor string }
		_ = json.Unmarshal([]byte(r.URL.Query().Get("param")), &p)
		l.mu.Lock()
		l.sent = append(l.sent, p.Pcursor)
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// since returns the pcursors sent since the n-th request.
func (l *pcursorLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.sent[n:]...)
}

func (l *pcursorLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
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
	k, sent := &ingesttest.Killer{}, &pcursorLog{}
	r := newClockedRig(t, kuaishousim.Options{RateLimitEvery: 7, FailEvery: 11}, func(h http.Handler) http.Handler { return sent.wrap(k.Wrap(h)) })
	mustNoErr(t, r.Sim.AddOrders(book.Orders...))
	cfg := r.config(from)
	cfg.PageSize, cfg.MaxAttempts = 20, 6

	crashes := ingesttest.Crashes{
		Rng: rand.New(rand.NewPCG(3, 4)), Clock: r.Clock, Killer: k, Cursors: r.Cursors,
		From: from, Until: book.Settled.Add(cfg.SafetyLag + time.Minute), Step: 41*time.Minute + 7*time.Second,
		MaxKillAfter: 6, FailSaveOneIn: 8,
	}
	resumedMidWindow := 0
	restarts, storeFailures := crashes.PollThrough(t, func(ctx context.Context) error {
		resumeAt, before := savedPcursor(r.Cursors), sent.count()
		err := r.poller(t, cfg).RunOnce(ctx)
		if resumeAt != "" {
			// A run that starts in the middle of a window asks for the
			// page after the last one appended first.
			if got := sent.since(before); len(got) > 0 && got[0] == resumeAt {
				resumedMidWindow++
			} else if len(got) > 0 {
				t.Errorf("at %s: the cursor held pcursor %q but the run asked first for %q", r.Clock.Now(), resumeAt, got[0])
			}
		}
		return err
	})
	ingesttest.WantNoDeadLetters(t, r.Sink)
	ingesttest.WantFigures(t, tally(r.Sink.Events()), figures(book.Ledger))

	answered := r.Sim.Answered()
	if restarts < 5 || resumedMidWindow < 3 || storeFailures < 2 || answered["10005"] == 0 || answered["500"] == 0 {
		t.Errorf("want restarts, resumptions mid-window, cursor-store failures, rate limits and HTTP 500s; got %d restarts, %d mid-window, %d store failures, answers %v",
			restarts, resumedMidWindow, storeFailures, answered)
	}
	if n := ingesttest.PaidThenCancelledLater(r.Sink.Batches()); n == 0 {
		t.Error("no order was seen paid and only later closed: the test would not cover a later window picking up a change")
	}
	if answered["1"] < 400 {
		t.Errorf("want hundreds of pages, got %d", answered["1"])
	}
	t.Logf("%d orders, %d pages answered, %d restarts (%d mid-window), %d cursor-store failures, answers %v",
		book.Ledger.OrdersCreated, answered["1"], restarts, resumedMidWindow, storeFailures, answered)
}
