package jd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// TestBadOrderAmongGood: an order that cannot be decoded or validated is
// dead-lettered on its own, with its bytes and the reason; the good orders
// of the same page are appended and the poller carries on.
func TestBadOrderAmongGood(t *testing.T) {
	const at = "2020-05-02 10:00:30"
	good := func(id string) fixture { return paidFixture(id, at, "1.00", item{"100012043978", "59.90", 1}) }
	bad := func(mutate func(*fixture)) fixture {
		f := good("1002")
		mutate(&f)
		return f
	}
	set := func(key string, v any) func(*fixture) {
		return func(f *fixture) { f.mutate = func(m map[string]any) { m[key] = v } }
	}
	tests := []struct {
		name      string
		bad       fixture
		raw       []byte // the element served, when not bad's
		reasonHas string
	}{
		{name: "jdPrice with three decimals", bad: bad(func(f *fixture) { f.items = []item{{"100012043978", "59.905", 1}} }), reasonHas: "more than two decimals"},
		{name: "sellerDiscount not a number", bad: bad(set("sellerDiscount", "ten yuan")), reasonHas: "sellerDiscount"},
		{name: "sellerDiscount missing", bad: bad(func(f *fixture) { f.mutate = func(m map[string]any) { delete(m, "sellerDiscount") } }), reasonHas: "sellerDiscount is missing"},
		{name: "lines do not add up", bad: bad(func(f *fixture) { f.sellerPrice = "99.99" }), reasonHas: "orderSellerPrice is 99.99"},
		{name: "discount above the goods", bad: bad(func(f *fixture) { f.discount, f.sellerPrice = "60.00", "0.00" }), reasonHas: "sellerDiscount 60.00"},
		{name: "paid order with no items", bad: bad(func(f *fixture) { f.items = nil }), reasonHas: "no items"},
		{name: "no items count", bad: bad(func(f *fixture) { f.items = []item{{"100012043978", "59.90", 0}} }), reasonHas: "itemTotal"},
		{name: "unknown state", bad: bad(func(f *fixture) { f.state = "WAIT_BUYER_TELEPATHY" }), reasonHas: `orderState "WAIT_BUYER_TELEPATHY"`},
		{name: "paid before placed", bad: bad(func(f *fixture) { f.paid = "2020-05-02 09:59:00" }), reasonHas: "before it was placed"},
		{name: "no orderId", bad: bad(func(f *fixture) { f.mutate = func(m map[string]any) { delete(m, "orderId") } }), reasonHas: "orderId"},
		{name: "no modified", bad: bad(func(f *fixture) { f.mutate = func(m map[string]any) { m["modified"] = "" } }), reasonHas: "modified is missing"},
		{name: "bad time", bad: bad(set("orderStartTime", "2020/05/02 10:00")), reasonHas: "orderStartTime"},
		{name: "not an object", bad: good("1002"), raw: []byte(`"order 1002"`), reasonHas: "not an orderInfoList element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			badVersion := jdsim.Version{Modified: china(at), State: "WAIT_SELLER_STOCK_OUT", JSON: tt.bad.element(t)}
			if tt.raw != nil {
				badVersion.JSON = tt.raw
			}
			sim := newSim(t, jdsim.Options{})
			mustNoErr(t, sim.AddOrders(good("1001").order(t), jdsim.Order{ID: "1002", Versions: []jdsim.Version{badVersion}}, good("1003").order(t)))
			r := newRig(t, sim, nil)
			r.Clock.Set(china("2020-05-02 12:00:00"))
			mustNoErr(t, r.poller(t, r.config(china("2020-05-02 09:00:00"))).RunOnce(context.Background()))

			d := ingesttest.OneDeadLetter(t, r.Sink)
			if d.Source != "jd" || !bytes.Equal(d.Raw, badVersion.JSON) || !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("dead letter: want source jd, the bad order's bytes, a reason naming %q; got %s, %s, %q", tt.reasonHas, d.Source, d.Raw, d.Reason)
			}
			if paid := ingesttest.PaidOrders(r.Sink.Events()); paid != "1001,1003" {
				t.Errorf("want the good orders 1001 and 1003 paid, got %v", paid)
			}
			if r.Cursors.Get("jd") == "" {
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

// TestUndecodablePage: a page that is not a search answer, after the
// attempts are used up, is dead-lettered whole; the other pages' orders
// are appended and the window completes.
func TestUndecodablePage(t *testing.T) {
	tests := []struct{ name, body, reasonHas string }{
		{"not JSON", "<html>502 Bad Gateway</html>", "not JSON"},
		{"no result", `{"jingdong_pop_order_search_responce":{"code":"0"}}`, "searchorderinfo_result"},
		{"list not an array", `{"jingdong_pop_order_search_responce":{"code":"0","searchorderinfo_result":{"orderTotal":3,"orderInfoList":{"orderId":"1002"}}}}`, "not an array"},
		{"no total", `{"jingdong_pop_order_search_responce":{"code":"0","searchorderinfo_result":{"orderInfoList":[]}}}`, "orderTotal"},
		{"neither answer nor error", `{"result":"ok"}`, "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := newSim(t, jdsim.Options{})
			for _, id := range []string{"1001", "1002", "1003"} {
				mustNoErr(t, sim.AddOrders(paidFixture(id, "2020-05-02 10:00:30", "", item{"100012043978", "59.90", 1}).order(t)))
			}
			r := newRig(t, sim, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
					mustNoErr(t, req.ParseForm())
					var q struct{ Page string }
					mustNoErr(t, json.Unmarshal([]byte(req.Form.Get("360buy_param_json")), &q))
					if q.Page == "2" {
						w.Write([]byte(tt.body))
						return
					}
					h.ServeHTTP(w, req)
				})
			})
			r.Clock.Set(china("2020-05-02 12:00:00"))
			cfg := r.config(china("2020-05-02 09:00:00"))
			cfg.PageSize, cfg.MaxAttempts = 1, 2
			mustNoErr(t, r.poller(t, cfg).RunOnce(context.Background()))

			if d := ingesttest.OneDeadLetter(t, r.Sink); d.Source != "jd" || string(d.Raw) != tt.body || !strings.Contains(d.Reason, "page 2") || !strings.Contains(d.Reason, tt.reasonHas) {
				t.Errorf("dead letter: want source jd, the page's bytes, a reason naming page 2 and %q; got %s, %q, %q", tt.reasonHas, d.Source, d.Raw, d.Reason)
			}
			if paid := ingesttest.PaidOrders(r.Sink.Events()); paid != "1001,1003" {
				t.Errorf("want orders 1001 and 1003 (pages 1 and 3) paid, got %v", paid)
			}
			if r.Cursors.Get("jd") == "" {
				t.Error("the cursor was not saved: the poller did not carry on")
			}
		})
	}
}
