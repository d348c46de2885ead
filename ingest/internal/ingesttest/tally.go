package ingesttest

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

// Figures are what an adapter's events add up to, to be held against what
// a simulator's generated book must add up to.
type Figures struct {
	platformsim.Totals
	OrdersCreated  int
	OrdersPaid     int // orders with a sale
	OrdersRefunded int // orders with a refund
	// ByDay is keyed by the China-time date of the payment or refund.
	ByDay map[string]platformsim.Totals
	// ByRoom is keyed by the livestream room (Livestream.RoomID) of the
	// line, for lines sold in one.
	ByRoom map[string]platformsim.Totals
}

// Tally adds up events the way the projector does, not the way the
// adapter meant them: events deduplicated by id, each line's payment and
// refunds kept in a domain.LineState, whose entries clip refunds to what
// the line was paid.
func Tally(platform string, events []domain.Event) Figures {
	byID := map[string]domain.Event{}
	for _, e := range events {
		byID[e.ID()] = e
	}
	lines := map[domain.LineKey]*domain.LineState{}
	line := func(order, id string) *domain.LineState {
		k := domain.LineKey{Platform: platform, OrderID: order, LineID: id}
		if lines[k] == nil {
			lines[k] = &domain.LineState{Key: k}
		}
		return lines[k]
	}
	created := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		switch e := byID[id].(type) {
		case *domain.OrderCreated:
			created[e.OrderID] = true
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				line(e.OrderID, l.LineID).ApplyPayment(domain.LinePayment{EventID: e.ID(), CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, BuyerRef: e.BuyerRef, PaidLine: l}, nil)
			}
		case *domain.OrderCancelled:
			if e.WasPaid {
				for _, l := range e.Lines {
					line(e.OrderID, l.LineID).ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt})
				}
			}
		}
	}
	out := Figures{ByDay: map[string]platformsim.Totals{}, ByRoom: map[string]platformsim.Totals{}, OrdersCreated: len(created)}
	paid, refunded := map[string]bool{}, map[string]bool{}
	for k, s := range lines {
		room := ""
		if s.Payment != nil && s.Payment.Livestream != nil {
			room = s.Payment.Livestream.RoomID
		}
		for _, en := range s.Entries() {
			d, r := out.ByDay[domain.Day(en.At)], out.ByRoom[room]
			for _, t := range []*platformsim.Totals{&out.Totals, &d, &r} {
				t.NetFen += en.AmountFen
				if en.Kind == domain.EntrySale {
					t.GMVFen += en.AmountFen
				} else {
					t.RefundsFen -= en.AmountFen
				}
			}
			out.ByDay[domain.Day(en.At)] = d
			if room != "" {
				out.ByRoom[room] = r
			}
			if en.Kind == domain.EntrySale {
				paid[k.OrderID] = true
			} else {
				refunded[k.OrderID] = true
			}
		}
	}
	out.OrdersPaid, out.OrdersRefunded = len(paid), len(refunded)
	return out
}

// WantFigures fails the test for each figure got does not have as want
// has it.
func WantFigures(t testing.TB, got, want Figures) {
	t.Helper()
	if got.Totals != want.Totals {
		t.Errorf("totals: want %+v, got %+v (fen)", want.Totals, got.Totals)
	}
	if got.OrdersCreated != want.OrdersCreated || got.OrdersPaid != want.OrdersPaid || got.OrdersRefunded != want.OrdersRefunded {
		t.Errorf("orders created/paid/refunded: want %d/%d/%d, got %d/%d/%d",
			want.OrdersCreated, want.OrdersPaid, want.OrdersRefunded, got.OrdersCreated, got.OrdersPaid, got.OrdersRefunded)
	}
	for _, by := range []struct {
		name      string
		want, got map[string]platformsim.Totals
	}{{"day", want.ByDay, got.ByDay}, {"room", want.ByRoom, got.ByRoom}} {
		if len(by.want) != len(by.got) {
			t.Errorf("by %s: want %d keys, got %d", by.name, len(by.want), len(by.got))
		}
		for key, w := range by.want {
			if by.got[key] != w {
				t.Errorf("by %s %s: want %+v, got %+v (fen)", by.name, key, w, by.got[key])
			}
		}
	}
}

// PaidThenCancelledLater counts the orders whose payment was appended in an
// earlier batch than their cancellation after payment: a later window
// picked up a change.
func PaidThenCancelledLater(batches [][]domain.Event) int {
	paidIn := map[string]int{}
	n := 0
	for i, b := range batches {
		for _, e := range b {
			switch e := e.(type) {
			case *domain.OrderPaid:
				if _, ok := paidIn[e.OrderID]; !ok {
					paidIn[e.OrderID] = i
				}
			case *domain.OrderCancelled:
				if p, ok := paidIn[e.OrderID]; ok && e.WasPaid && p < i {
					n++
					paidIn[e.OrderID] = len(batches) // count once
				}
			}
		}
	}
	return n
}

// PaidOrders lists the orders of the OrderPaid events, in order, joined
// with commas: "1001,1003".
func PaidOrders(events []domain.Event) string {
	var ids []string
	for _, p := range Find[*domain.OrderPaid](events) {
		ids = append(ids, p.OrderID)
	}
	return strings.Join(ids, ",")
}
