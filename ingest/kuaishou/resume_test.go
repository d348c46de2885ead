package kuaishou_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// TestRestartResumesAtNextPage: the cursor is saved after each page's
// events are appended, so a poller killed after the first page resumes at
// the second: the first page is neither lost nor read again.
func TestRestartResumesAtNextPage(t *testing.T) {
	k := &killer{}
	var requests atomic.Int32
	var cancel context.CancelFunc
	r := newClockedRig(t, kuaishousim.Options{}, func(h http.Handler) http.Handler {
		return k.wrap(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if requests.Add(1) == 2 { // killed as the second page is asked for, never answered
				cancel()
				<-req.Context().Done()
				return
			}
			h.ServeHTTP(w, req)
		}))
	})
	for i := range 5 {
		mustNoErr(t, r.sim.AddOrders(paidFixture(int64(8001+i), fmt.Sprintf("2020-05-02 10:00:%02d", 31+i), 1).order(t)))
	}
	r.clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 10:00:00"))
	cfg.PageSize = 2

	ctx, c := context.WithCancel(context.Background())
	cancel = c
	if err := r.poller(t, cfg).RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("want the run killed, got %v", err)
	}
	saved := savedPcursor(r.cursors)
	if saved == "" || len(r.sink.Batches()) != 1 {
		t.Fatalf("after the first page: want its events appended and the next pcursor saved; got %d appends, cursor %s", len(r.sink.Batches()), r.cursors.Get("kuaishou"))
	}

	sent := k.count()
	mustNoErr(t, r.poller(t, cfg).RunOnce(context.Background()))
	if got := k.requestsSince(sent); len(got) == 0 || got[0] != saved {
		t.Errorf("restart: want the first request at the saved pcursor %q, got %v", saved, got)
	}
	var paid []string
	for _, p := range ingesttest.Find[*domain.OrderPaid](r.sink.Events()) {
		paid = append(paid, p.OrderID)
	}
	if strings.Join(paid, ",") != "8001,8002,8003,8004,8005" {
		t.Errorf("want each order paid once, in order, got %v", paid)
	}
	if want := fmt.Sprintf(`{"covered_to_ms":%d}`, ms("2020-05-02 11:59:00")); r.cursors.Get("kuaishou") != want {
		t.Errorf("want the cursor caught up, %s; got %s", want, r.cursors.Get("kuaishou"))
	}
}

// TestRunRidesOutAnOutage: Run keeps polling through an outage longer than
// its attempts (logging and waiting Interval), catches up, and returns nil
// when its context ends.
func TestRunRidesOutAnOutage(t *testing.T) {
	var failing atomic.Int32
	failing.Store(12)
	r := newClockedRig(t, kuaishousim.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if failing.Add(-1) >= 0 {
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			h.ServeHTTP(w, req)
		})
	})
	mustNoErr(t, r.sim.AddOrders(paidFixture(8101, "2020-05-02 10:00:30", 1).order(t)))
	r.clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 09:00:00"))
	cfg.MaxAttempts = 3
	p := r.poller(t, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	want := fmt.Sprintf(`{"covered_to_ms":%d}`, ms("2020-05-02 11:59:00"))
	deadline := time.Now().Add(10 * time.Second)
	for r.cursors.Get("kuaishou") != want {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not catch up; cursor %q", r.cursors.Get("kuaishou"))
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.RunOnce(context.Background()); !errors.Is(err, kuaishou.ErrRunning) {
		t.Errorf("RunOnce during Run: want ErrRunning, got %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: want nil once its context ends, got %v", err)
	}
	if got := ingesttest.Find[*domain.OrderPaid](r.sink.Events()); len(got) != 1 {
		t.Errorf("want one OrderPaid, got %d", len(got))
	}
	if n := len(r.logs.Find("will retry")); n == 0 {
		t.Error("want the failed polls logged")
	}
}
