package kuaishou_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// TestBadOrderAmongGood: an order that cannot be decoded or validated is
// dead-lettered on its own, with its bytes and the reason; the good orders
// of the same page are appended and the poller carries on.
func TestBadOrderAmongGood(t *testing.T) {
	const at = "2020-05-02 10:00:30"
	bad := func(change func(*fixture)) fixture {
		f := paidFixture(5002, at, 1)
		change(&f)
		return f
	}
	set := func(where, key string, v any) func(*fixture) {
		return func(f *fixture) {
			f.mutate = func(base, item, cps map[string]any) {
				map[string]map[string]any{"base": base, "item": item, "cps": cps}[where][key] = v
			}
		}
	}
	tests := []struct {
		name      string
		bad       fixture
		raw       []byte
		reasonHas string
	}{
		{name: "amount with a fraction", bad: bad(set("base", "totalFee", 79.6)), reasonHas: "totalFee"},
		{name: "amount as text", bad: bad(set("base", "expressFee", "8.00")), reasonHas: "expressFee"},
		{name: "freight above the total", bad: bad(func(f *fixture) { f.mutate = func(b, _, _ map[string]any) { b["expressFee"] = 5000 } }), reasonHas: "amounts out of range"},
		{name: "no totalFee", bad: bad(func(f *fixture) { f.mutate = func(b, _, _ map[string]any) { delete(b, "totalFee") } }), reasonHas: "totalFee or expressFee is missing"},
		{name: "oid through float64", bad: bad(set("base", "oid", json.Number("2.004301234567891e18"))), reasonHas: "64-bit integer"},
		{name: "no oid", bad: bad(func(f *fixture) { f.mutate = func(b, _, _ map[string]any) { delete(b, "oid") } }), reasonHas: "oid is missing"},
		{name: "paid status without payTime", bad: bad(func(f *fixture) { f.paid = "" }), reasonHas: "payTime is missing"},
		{name: "unpaid status with payTime", bad: bad(func(f *fixture) { f.status = 10 }), reasonHas: "unpaid"},
		{name: "unknown status", bad: bad(func(f *fixture) { f.status = 60 }), reasonHas: "status 60"},
		{name: "paid order with no item", bad: bad(func(f *fixture) { f.num = 0 }), reasonHas: "num 0"},
		{name: "paid before placed", bad: bad(func(f *fixture) { f.paid = "2020-05-02 09:00:00" }), reasonHas: "before it was placed"},
		{name: "no orderBaseInfo", bad: paidFixture(5002, at, 1), raw: []byte(`{"orderItemInfo":{"skuId":1}}`), reasonHas: "orderBaseInfo is missing"},
		{name: "not an object", bad: paidFixture(5002, at, 1), raw: []byte(`[5002]`), reasonHas: "not an orderList element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			badVersion := kuaishousim.Version{Updated: china(at), Status: 30, JSON: tt.bad.element(t)}
			if tt.raw != nil {
				badVersion.JSON = tt.raw
			}
			sim := newSim(t, kuaishousim.Options{})
			mustNoErr(t, sim.AddOrders(paidFixture(5001, at, 1).order(t),
				kuaishousim.Order{Oid: 5002, Created: china(at), Versions: []kuaishousim.Version{badVersion}},
				paidFixture(5003, at, 2).order(t)))
			r := newRig(t, sim, nil)
			r.Clock.Set(china("2020-05-02 12:00:00"))
			mustNoErr(t, r.poller(t, r.config(china("2020-05-02 09:00:00"))).RunOnce(context.Background()))

			d := ingesttest.OneDeadLetter(t, r.Sink)
			if d.Source != "kuaishou" || !bytes.Equal(d.Raw, badVersion.JSON) || !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("dead letter: want source kuaishou, the bad order's bytes, a reason naming %q; got %s, %s, %q", tt.reasonHas, d.Source, d.Raw, d.Reason)
			}
			if paid := ingesttest.PaidOrders(r.Sink.Events()); paid != "5001,5003" {
				t.Errorf("want the good orders 5001 and 5003 paid, got %v", paid)
			}
			if !strings.Contains(r.Cursors.Get("kuaishou"), "covered_to_ms") {
				t.Error("the cursor was not saved: the poller did not carry on")
			}
			// Read again (a crash before the cursor was saved): the same
			// bad order is the same dead letter.
			r.Cursors.Forget()
			mustNoErr(t, r.poller(t, r.config(china("2020-05-02 09:00:00"))).RunOnce(context.Background()))
			if again := r.Sink.DeadLetters(); len(again) != 2 || again[1].ID != d.ID {
				t.Errorf("read again: want a second dead letter with the same id %s, got %d", d.ID, len(again))
			}
		})
	}
}

// TestUndecodablePage: a page that is not a cursor-list answer, after the
// attempts are used up, is dead-lettered whole; without its pcursor the rest
// of that window is skipped (and logged), and the poller carries on with
// the next window.
func TestUndecodablePage(t *testing.T) {
	tests := []struct{ name, body, reasonHas string }{
		{"not JSON", "<html>502 Bad Gateway</html>", "not JSON"},
		{"no result", `{"data":{"pcursor":"nomore","orderList":[]}}`, "no result"},
		{"no pcursor", `{"result":1,"data":{"orderList":[]}}`, "pcursor"},
		{"list not an array", `{"result":1,"data":{"pcursor":"nomore","orderList":{"oid":1}}}`, "not an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, kuaishousim.Options{})
			mustNoErr(t, sim.AddOrders(
				paidFixture(5101, "2020-05-02 10:00:30", 1).order(t),
				paidFixture(5102, "2020-05-02 10:00:31", 1).order(t),
				paidFixture(5103, "2020-05-02 10:40:00", 1).order(t), // the next window
			))
			r := newRig(t, sim, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					if strings.Contains(req.URL.Query().Get("param"), `"pcursor":"`) && !strings.Contains(req.URL.Query().Get("param"), `"pcursor":""`) {
						w.Write([]byte(tt.body)) // every second page
						return
					}
					h.ServeHTTP(w, req)
				})
			})
			r.Clock.Set(china("2020-05-02 12:00:00"))
			cfg := r.config(china("2020-05-02 10:00:00"))
			cfg.PageSize, cfg.MaxAttempts, cfg.Window = 1, 2, 30*time.Minute
			mustNoErr(t, r.poller(t, cfg).RunOnce(context.Background()))

			if d := ingesttest.OneDeadLetter(t, r.Sink); d.Source != "kuaishou" || string(d.Raw) != tt.body || !strings.Contains(d.Reason, "pcursor") || !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("dead letter: want source kuaishou, the page's bytes, a reason naming the pcursor and %q; got %s, %q, %q", tt.reasonHas, d.Source, d.Raw, d.Reason)
			}
			if paid := ingesttest.PaidOrders(r.Sink.Events()); paid != "5101,5103" {
				t.Errorf("want 5101 (first page) and 5103 (next window) paid, got %v", paid)
			}
			if n := len(r.Logs.Find("rest of its window is skipped")); n != 1 {
				t.Errorf("want the skipped rest of the window logged once, got %d", n)
			}
		})
	}
}
