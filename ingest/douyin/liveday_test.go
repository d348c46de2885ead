package douyin_test

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// TestLiveDayMatchesLedger pushes a simulated livestream day — 1,500 paid
// orders, duplicates, refunds shuffled ahead of their payments — through the
// real handler and checks the figures the appended events give against the
// generator's own ledger, to the fen.
func TestLiveDayMatchesLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes a whole simulated day")
	}
	day, err := douyinsim.GenerateLiveDay(douyinsim.DayOptions{
		Date: "2020-04-30", Seed: 11, Orders: 1500, RoomID: 6823941120781224715, AnchorID: 71286300123,
		Catalogue: []douyinsim.SKU{
			{SKUID: "1747203364827180", Name: "萍湖枇杷 5斤装 新鲜现摘", Product: "loquat", PriceFen: 6900},
			{SKUID: "1747203364827190", Name: "坑坪扶贫香菇 500g", Product: "shiitake", PriceFen: 3990},
			{SKUID: "1747203364827181", Name: "萍湖枇杷 3斤礼盒", Product: "loquat", PriceFen: 4990},
		},
	})
	mustNoErr(t, err)
	sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{})
	mustNoErr(t, err)
	mustNoErr(t, sim.AddOrders(day.Orders...))
	r := rigWithPlatform(t, sim, nil)
	ingest := httptest.NewServer(r.handler)
	defer ingest.Close()

	pusher, err := douyinsim.NewPusher(douyinsim.PusherOptions{
		URL: ingest.URL + "/ingest/douyin", SignMethod: douyinsim.SignHMACSHA256,
		BatchSize: 100, ShuffleWindow: 200, Seed: 1,
	})
	mustNoErr(t, err)
	if !refundBeforePayment(pusher.Sequence(day.Messages)) {
		t.Fatal("the shuffled sequence brings no refund before its payment: the test would not cover that case")
	}
	mustNoErr(t, pusher.Push(context.Background(), day.Messages))
	if n := len(r.sink.DeadLetters()); n != 0 {
		t.Fatalf("want no dead letters, got %d: %s", n, r.sink.DeadLetters()[0].Reason)
	}

	got := figures(r.sink.Events())
	want := day.Ledger
	if got.OrdersPaid != want.OrdersPaid {
		t.Errorf("orders paid: want %d, got %d", want.OrdersPaid, got.OrdersPaid)
	}
	if got.Totals != want.Totals {
		t.Errorf("totals: want %+v, got %+v (fen)", want.Totals, got.Totals)
	}
	for name, pair := range map[string][2]map[string]douyinsim.Totals{"day": {want.ByDay, got.ByDay}, "sku": {want.BySKU, got.BySKU}} {
		w, g := pair[0], pair[1]
		if len(w) != len(g) {
			t.Errorf("by %s: want %d keys, got %d", name, len(w), len(g))
		}
		for k, wt := range w {
			if g[k] != wt {
				t.Errorf("by %s %s: want %+v, got %+v (fen)", name, k, wt, g[k])
			}
		}
	}
}

// refundBeforePayment reports whether some 206 precedes its order's 101.
func refundBeforePayment(seq []douyinsim.Message) bool {
	paid := map[string]bool{}
	for _, m := range seq {
		switch m.Tag {
		case "101":
			paid[m.OrderID] = true
		case "206":
			if !paid[m.OrderID] {
				return true
			}
		}
	}
	return false
}

// figures computes the ledger's figures from events: each line's first
// payment counts at its time, each distinct refund at its own, clipped to
// what the line was paid (Loquat's line lifecycle, kept here in small so
// this test does not follow the domain's internals).
func figures(events []domain.Event) douyinsim.Ledger {
	type refund struct {
		amount domain.Fen
		at     time.Time
	}
	type line struct {
		paid    *domain.PaidLine
		paidAt  time.Time
		refunds map[string]refund
	}
	lines := map[[2]string]*line{}
	get := func(order, lineID string) *line {
		k := [2]string{order, lineID}
		if lines[k] == nil {
			lines[k] = &line{refunds: map[string]refund{}}
		}
		return lines[k]
	}
	for _, e := range events {
		switch e := e.(type) {
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				if ln := get(e.OrderID, l.LineID); ln.paid == nil {
					ln.paid, ln.paidAt = &l, e.PaidAt
				}
			}
		case *domain.RefundSucceeded:
			get(e.OrderID, e.LineID).refunds[e.ID()] = refund{e.AmountFen, e.RefundedAt}
		case *domain.OrderCancelled:
			if e.WasPaid {
				for _, l := range e.Lines {
					get(e.OrderID, l.LineID).refunds[e.RefundID(l.LineID)] = refund{l.AmountFen, e.CancelledAt}
				}
			}
		}
	}
	out := douyinsim.Ledger{BySKU: map[string]douyinsim.Totals{}, ByDay: map[string]douyinsim.Totals{}}
	book := func(sku string, at time.Time, f func(*douyinsim.Totals)) {
		s, d := out.BySKU[sku], out.ByDay[domain.Day(at)]
		for _, t := range []*douyinsim.Totals{&out.Totals, &s, &d} {
			f(t)
		}
		out.BySKU[sku], out.ByDay[domain.Day(at)] = s, d
	}
	paidOrders := map[string]bool{}
	for k, ln := range lines {
		if ln.paid == nil {
			continue // a refund without its payment never counts
		}
		paidOrders[k[0]] = true
		p := ln.paid
		book(p.SKUID, ln.paidAt, func(t *douyinsim.Totals) {
			t.GMVFen += p.AmountFen
			t.NetFen += p.AmountFen
			t.Quantity += p.Quantity
		})
		ids := slices.Sorted(maps.Keys(ln.refunds))
		sort.SliceStable(ids, func(i, j int) bool { return ln.refunds[ids[i]].at.Before(ln.refunds[ids[j]].at) })
		left := p.AmountFen
		for _, id := range ids {
			r := ln.refunds[id]
			amt := min(r.amount, left)
			left -= amt
			book(p.SKUID, r.at, func(t *douyinsim.Totals) {
				t.RefundsFen += amt
				t.NetFen -= amt
			})
		}
	}
	out.OrdersPaid = len(paidOrders)
	return out
}
