package jd_test

import (
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestRunRidesOutAnOutage: Run keeps polling through an outage longer than
// its attempts (logging and waiting Interval), catches up, and returns nil
// when its context ends.
func TestRunRidesOutAnOutage(t *testing.T) {
	r := newClockedRig(t, jdsim.Options{}, ingesttest.Outage(12))
	mustNoErr(t, r.Sim.AddOrders(paidFixture("5001", "2020-05-02 10:00:30", "", item{"100012043978", "59.90", 1}).order(t)))
	r.Clock.Set(china("2020-05-02 12:00:00"))
	cfg := r.config(china("2020-05-02 09:00:00"))
	cfg.MaxAttempts = 3
	ingesttest.WantRunCatchesUp(t, r.poller(t, cfg), jd.ErrRunning, r.Cursors, "jd", "2020-05-02T11:59:00+08:00")
	if got := ingesttest.Find[*domain.OrderPaid](r.Sink.Events()); len(got) == 0 {
		t.Error("no OrderPaid appended")
	}
	if n := len(r.Logs.Find("will retry")); n == 0 {
		t.Error("want the failed polls logged")
	}
}
