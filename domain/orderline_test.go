package domain_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

func TestLineEntries(t *testing.T) {
	t0 := time.Date(2020, 4, 30, 15, 0, 0, 0, domain.ChinaTime)
	pay := domain.LinePayment{EventID: "pay", PaidAt: t0, PaidLine: domain.PaidLine{AmountFen: 1000}}
	refund := func(id string, amt domain.Fen, h int) domain.LineRefund {
		return domain.LineRefund{ID: id, AmountFen: amt, At: t0.Add(time.Duration(h) * time.Hour)}
	}
	tests := []struct {
		name    string
		paid    bool
		refunds []domain.LineRefund
		want    []domain.Fen
	}{
		{"unpaid counts nothing", false, []domain.LineRefund{refund("r", 100, 1)}, nil},
		{"sale only", true, nil, []domain.Fen{1000}},
		{"partial refunds", true, []domain.LineRefund{refund("a", 300, 1), refund("b", 200, 2)}, []domain.Fen{1000, -300, -200}},
		{"refunds clipped at paid amount in time order", true,
			[]domain.LineRefund{refund("cancel", 1000, 3), refund("a", 400, 1)}, []domain.Fen{1000, -400, -600}},
		{"fully clipped refund gives no entry", true,
			[]domain.LineRefund{refund("a", 1000, 1), refund("b", 5, 2)}, []domain.Fen{1000, -1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s domain.LineState
			if tt.paid {
				s.ApplyPayment(pay, nil)
			}
			for _, r := range tt.refunds {
				s.ApplyRefund(r)
			}
			var got []domain.Fen
			for _, e := range s.Entries() {
				got = append(got, e.AmountFen)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("entries %v fen, want %v", got, tt.want)
			}
		})
	}
}

// TestLineEntriesIgnoreOrderAndDuplicates delivers a line's events in every
// shuffled order, each possibly twice, and expects the in-order result.
func TestLineEntriesIgnoreOrderAndDuplicates(t *testing.T) {
	t0 := time.Date(2020, 4, 30, 15, 0, 0, 0, domain.ChinaTime)
	type ev struct {
		pay    *domain.LinePayment
		refund *domain.LineRefund
	}
	events := []ev{
		{pay: &domain.LinePayment{EventID: "pay", PaidAt: t0, PaidLine: domain.PaidLine{AmountFen: 5000}}},
		{refund: &domain.LineRefund{ID: "r1", AmountFen: 1200, At: t0.Add(time.Hour)}},
		{refund: &domain.LineRefund{ID: "r2", AmountFen: 3000, At: t0.Add(2 * time.Hour)}},
		{refund: &domain.LineRefund{ID: "cancel", AmountFen: 5000, At: t0.Add(3 * time.Hour)}},
	}
	apply := func(s *domain.LineState, e ev) {
		if e.pay != nil {
			s.ApplyPayment(*e.pay, nil)
		} else {
			s.ApplyRefund(*e.refund)
		}
	}
	var inOrder domain.LineState
	for _, e := range events {
		apply(&inOrder, e)
	}
	want := inOrder.Entries()
	r := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 500; i++ {
		var deliveries []ev
		for _, e := range events {
			deliveries = append(deliveries, e)
			if r.IntN(2) == 0 {
				deliveries = append(deliveries, e)
			}
		}
		r.Shuffle(len(deliveries), func(a, b int) { deliveries[a], deliveries[b] = deliveries[b], deliveries[a] })
		var s domain.LineState
		for _, e := range deliveries {
			apply(&s, e)
		}
		if got := s.Entries(); !reflect.DeepEqual(got, want) {
			t.Fatalf("shuffled delivery gave %+v, want %+v", got, want)
		}
	}
}

// TestFileRefundIDSpellings: ingest/file's older refund ids, which carried
// the amount, name the same refund as its current ones; nothing else does.
func TestFileRefundIDSpellings(t *testing.T) {
	at := time.Date(2020, 5, 3, 10, 0, 0, 0, domain.ChinaTime)
	tests := []struct {
		held, arriving string
		amount         domain.Fen
		changed        bool
		conflict       bool
	}{
		{"file:1:2020-05-03T10:00:00+08:00:600", "file:1:2020-05-03T10:00:00+08:00", 600, false, false},
		{"file:1:2020-05-03T10:00:00+08:00:600", "file:1:2020-05-03T10:00:00+08:00", 500, false, true},
		{"file:1:2020-05-03T10:00:00+08:00", "file:1:2020-05-03T10:00:00+08:00:600", 600, false, false},
		{"file:1:2020-05-03T10:00:00+08:00:600", "file:1:2020-05-03T10:00:00+08:00:500", 500, true, false}, // two old-style refunds stay two
		{"file:1:2020-05-03T10:00:00+08:00", "file:1:2020-05-03T10:00:00+08:00:x", 600, true, false},
		{"R1", "R1:600", 600, true, false}, // only file ids have the older spelling
		{"file:1:2020-05-03T10:00:00+08:00", "file:1:2020-05-03T10:00:00+08:00", 500, false, true},
	}
	for _, tt := range tests {
		s := domain.LineState{Key: domain.LineKey{Platform: "832", OrderID: "A", LineID: "1"}}
		s.ApplyRefund(domain.LineRefund{ID: tt.held, AmountFen: 600, At: at})
		changed, conflict := s.ApplyRefund(domain.LineRefund{ID: tt.arriving, AmountFen: tt.amount, At: at})
		if changed != tt.changed || (conflict != nil) != tt.conflict {
			t.Errorf("held %q, then %q for %d fen: changed %v conflict %v, want %v %v",
				tt.held, tt.arriving, tt.amount, changed, conflict, tt.changed, tt.conflict)
		}
	}
}
