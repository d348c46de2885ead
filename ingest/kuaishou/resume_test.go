package kuaishou_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// TestRestartResumesAtNextPage: the cursor is saved after each page's
// events are appended, so a poller killed after the first page resumes at
// the second: the first page is neither lost nor read again.
func TestRestartResumesAtNextPage(t *testing.T) {
	sent := &pcursorLog{}
	var requests atomic.Int32
	var cancel context.CancelFunc
	r := newClockedRig(t, kuaishousim.Options{}, func(h http.Handler) http.Handler {
		return sent.wrap(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if requests.Add(1) == 2 { // killed as the second page is asked for, never answered
				cancel()
				<-req.Context().Done()
				return
			}
			h.ServeHTTP(w, req)
		}))
	})
	for i := range 5 {
		mustNoErr(t, r.Sim.AddOrders(paidFixture(int64(8001+i), fmt.Sprintf("2020-05-02 10:00:%02d", 31+i), 1).order(t)))
	}
	r.Clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 10:00:00"))
	cfg.PageSize = 2

	ctx, c := context.WithCancel(context.Background())
	cancel = c
	if err := r.poller(t, cfg).RunOnce(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("want the run killed, got %v", err)
	}
	saved := savedPcursor(r.Cursors)
	if saved == "" || len(r.Sink.Batches()) != 1 {
		t.Fatalf("after the first page: want its events appended and the next pcursor saved; got %d appends, cursor %s", len(r.Sink.Batches()), r.Cursors.Get("kuaishou"))
	}

	before := sent.count()
	mustNoErr(t, r.poller(t, cfg).RunOnce(context.Background()))
	if got := sent.since(before); len(got) == 0 || got[0] != saved {
		t.Errorf("restart: want the first request at the saved pcursor %q, got %v", saved, got)
	}
	if paid := ingesttest.PaidOrders(r.Sink.Events()); paid != "8001,8002,8003,8004,8005" {
		t.Errorf("want each order paid once, in order, got %v", paid)
	}
	if want := fmt.Sprintf(`{"covered_to_ms":%d}`, ms("2020-05-02 11:59:00")); r.Cursors.Get("kuaishou") != want {
		t.Errorf("want the cursor caught up, %s; got %s", want, r.Cursors.Get("kuaishou"))
	}
}

// TestRunRidesOutAnOutage: Run keeps polling through an outage longer than
// its attempts (logging and waiting Interval), catches up, and returns nil
// when its context ends.
func TestRunRidesOutAnOutage(t *testing.T) {
	r := newClockedRig(t, kuaishousim.Options{}, ingesttest.Outage(12))
	mustNoErr(t, r.Sim.AddOrders(paidFixture(8101, "2020-05-02 10:00:30", 1).order(t)))
	r.Clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 09:00:00"))
	cfg.MaxAttempts = 3
	want := fmt.Sprintf(`{"covered_to_ms":%d}`, ms("2020-05-02 11:59:00"))
	ingesttest.WantRunCatchesUp(t, r.poller(t, cfg), kuaishou.ErrRunning, r.Cursors, "kuaishou", want)
	if got := ingesttest.Find[*domain.OrderPaid](r.Sink.Events()); len(got) != 1 {
		t.Errorf("want one OrderPaid, got %d", len(got))
	}
	if n := len(r.Logs.Find("will retry")); n == 0 {
		t.Error("want the failed polls logged")
	}
}
