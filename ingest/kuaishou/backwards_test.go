package kuaishou_test

import (
	"context"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// TestBackwardStatusIgnored: an order seen closed and later again paid (a
// stale answer) is not taken back: the later status is ignored and logged,
// and nothing is appended for it.
func TestBackwardStatusIgnored(t *testing.T) {
	closed := paidFixture(6001, "2020-05-02 10:05:00", 1)
	closed.status = 80
	stale := paidFixture(6001, "2020-05-02 10:40:00", 1)
	other := paidFixture(6002, "2020-05-02 10:41:00", 2)
	r := newClockedRig(t, kuaishousim.Options{}, nil)
	mustNoErr(t, r.Sim.AddOrders(
		kuaishousim.Order{Oid: 6001, Created: china(closed.created), Versions: []kuaishousim.Version{closed.version(t), stale.version(t)}},
		other.order(t),
	))
	p := r.poller(t, r.config(china("2020-05-02 10:00:00")))

	r.Clock.Set(china("2020-05-02 10:20:00"))
	mustNoErr(t, p.RunOnce(context.Background()))
	if c := ingesttest.Find[*domain.OrderCancelled](r.Sink.Events()); len(c) != 1 || !c[0].WasPaid {
		t.Fatalf("first poll: want the order closed after payment, got %+v", c)
	}
	before := len(r.Sink.Events())

	r.Clock.Set(china("2020-05-02 11:00:00"))
	mustNoErr(t, p.RunOnce(context.Background()))
	for _, e := range r.Sink.Events()[before:] {
		if e.PartitionKey() == domain.OrderKey("kuaishou", "6001") {
			t.Errorf("second poll appended %s for order 6001, whose status moved backwards", e.Type())
		}
	}
	if got := ingesttest.Find[*domain.OrderPaid](r.Sink.Events()[before:]); len(got) != 1 || got[0].OrderID != "6002" {
		t.Errorf("second poll: want order 6002 paid, got %+v", got)
	}
	logged := r.Logs.Find("moved backwards")
	if len(logged) != 1 {
		t.Fatalf("want one log record of a backward status, got %d", len(logged))
	}
	if l := logged[0]; l["order_id"] != "6001" || l["status"] != "30" || l["earlier_status"] != "80" || l["level"] != "WARN" {
		t.Errorf("log record: want WARN order_id 6001, status 30, earlier_status 80; got %v", l)
	}
}
