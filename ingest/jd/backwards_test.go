package jd_test

import (
	"context"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestBackwardStateIgnored: an order seen cancelled and later again waiting
// to ship (a stale answer) is not taken back: the later state is ignored and
// logged, and nothing is appended for it.
func TestBackwardStateIgnored(t *testing.T) {
	cancelled := paidFixture("2001", "2020-05-02 10:05:00", "", item{"100012043978", "59.90", 1})
	cancelled.state = "TRADE_CANCELED"
	stale := paidFixture("2001", "2020-05-02 10:40:00", "", item{"100012043978", "59.90", 1})
	other := paidFixture("2002", "2020-05-02 10:41:00", "", item{"100012043978", "59.90", 2})
	r := newClockedRig(t, jdsim.Options{}, nil)
	mustNoErr(t, r.Sim.AddOrders(
		jdsim.Order{ID: "2001", Versions: []jdsim.Version{cancelled.version(t), stale.version(t)}},
		other.order(t),
	))
	p := r.poller(t, r.config(china("2020-05-02 10:00:00")))

	r.Clock.Set(china("2020-05-02 10:20:00"))
	mustNoErr(t, p.RunOnce(context.Background()))
	if got := len(ingesttest.Find[*domain.OrderCancelled](r.Sink.Events())); got != 1 {
		t.Fatalf("first poll: want the cancellation, got %d OrderCancelled", got)
	}
	before := len(r.Sink.Events())

	r.Clock.Set(china("2020-05-02 11:00:00"))
	mustNoErr(t, p.RunOnce(context.Background()))
	for _, e := range r.Sink.Events()[before:] {
		if e.PartitionKey() == domain.OrderKey("jd", "2001") {
			t.Errorf("second poll appended %s for order 2001, whose state moved backwards", e.Type())
		}
	}
	if got := ingesttest.Find[*domain.OrderPaid](r.Sink.Events()[before:]); len(got) != 1 || got[0].OrderID != "2002" {
		t.Errorf("second poll: want order 2002 paid, got %+v", got)
	}
	logged := r.Logs.Find("moved backwards")
	if len(logged) != 1 {
		t.Fatalf("want one log record of a backward state, got %d", len(logged))
	}
	l := logged[0]
	if l["order_id"] != "2001" || l["state"] != "WAIT_SELLER_STOCK_OUT" || l["earlier_state"] != "TRADE_CANCELED" || l["level"] != "WARN" {
		t.Errorf("log record: want WARN order_id 2001, state WAIT_SELLER_STOCK_OUT, earlier_state TRADE_CANCELED; got %v", l)
	}
}
