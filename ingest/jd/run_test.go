package jd_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestRunRidesOutAnOutage: Run keeps polling through an outage longer than
// its attempts (logging and waiting Interval), catches up, and returns nil
// when its context ends.
func TestRunRidesOutAnOutage(t *testing.T) {
	var failing atomic.Int32
	failing.Store(12)
	r := newClockedRig(t, jdsim.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if failing.Add(-1) >= 0 {
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			h.ServeHTTP(w, req)
		})
	})
	mustNoErr(t, r.sim.AddOrders(paidFixture("5001", "2020-05-02 10:00:30", "", item{"100012043978", "59.90", 1}).order(t)))
	r.clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 09:00:00"))
	cfg.MaxAttempts = 3
	p := r.poller(t, cfg)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.cursors.Get("jd") != "2020-05-02T11:59:00+08:00" {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not catch up; cursor %q", r.cursors.Get("jd"))
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.RunOnce(context.Background()); !errors.Is(err, jd.ErrRunning) {
		t.Errorf("RunOnce during Run: want ErrRunning, got %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: want nil once its context ends, got %v", err)
	}
	if got := ingesttest.Find[*domain.OrderPaid](r.sink.Events()); len(got) == 0 {
		t.Error("no OrderPaid appended")
	}
	if n := len(r.logs.Find("will retry")); n == 0 {
		t.Error("want the failed polls logged")
	}
}
