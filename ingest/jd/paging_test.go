package jd_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestWindowMovingWhileRead: JD pages by offset, so an order that leaves a
// window between two page requests slides the next page's first order onto
// a page already read. The poller sees orderTotal change, reads the window
// again, and misses nothing.
func TestWindowMovingWhileRead(t *testing.T) {
	var once sync.Once
	var r *rig
	r = newClockedRig(t, jdsim.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h.ServeHTTP(w, req)
			// Right after the first page: order 4003 is cancelled, modified
			// after the window's end, and the index finds it at once.
			once.Do(func() { r.Clock.Set(china("2020-05-02 10:50:00")) })
		})
	})
	var orders []jdsim.Order
	for i := 1; i <= 25; i++ {
		f := paidFixture(fmt.Sprint(4000+i), fmt.Sprintf("2020-05-02 10:00:%02d", 30+i), "", item{"100012043978", "59.90", 1})
		o := f.order(t)
		if i == 3 {
			c := f
			c.state, c.modified = "TRADE_CANCELED", "2020-05-02 10:45:00"
			o.Versions = append(o.Versions, c.version(t))
		}
		orders = append(orders, o)
	}
	mustNoErr(t, r.Sim.AddOrders(orders...))
	r.Clock.Set(china("2020-05-02 10:40:00"))
	cfg := r.config(china("2020-05-02 10:00:00"))
	cfg.PageSize = 10
	p := r.poller(t, cfg)
	mustNoErr(t, p.RunOnce(context.Background()))

	paid := map[string]bool{}
	for _, e := range ingesttest.Find[*domain.OrderPaid](r.Sink.Events()) {
		paid[e.OrderID] = true
	}
	if len(paid) != 25 {
		var missing []int
		for i := 4001; i <= 4025; i++ {
			if !paid[fmt.Sprint(i)] {
				missing = append(missing, i)
			}
		}
		t.Errorf("want all 25 orders paid, missing %v", missing)
	}
	if logged := r.Logs.Find("moved while read"); len(logged) != 1 || logged[0]["why"] != "orderTotal went from 25 to 24" {
		t.Errorf("want one log of the window read again because orderTotal went from 25 to 24, got %v", logged)
	}
	// The cancellation, modified after the first run's target, comes next.
	mustNoErr(t, p.RunOnce(context.Background()))
	c := ingesttest.Find[*domain.OrderCancelled](r.Sink.Events())
	if len(c) != 1 || c[0].OrderID != "4003" || !c[0].WasPaid || !c[0].CancelledAt.Equal(china("2020-05-02 10:45:00")) {
		t.Errorf("want order 4003 cancelled after payment at 10:45, got %+v", c)
	}
}
