package domain_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

var t0 = time.Date(2020, 5, 2, 10, 21, 0, 0, domain.ChinaTime)

func paidLine() domain.LinePayment {
	return domain.LinePayment{EventID: "pay-1", CreatedAt: t0.Add(-time.Minute), PaidAt: t0, BuyerRef: "buyer-a",
		PaidLine: domain.PaidLine{LineID: "1", SKUID: "SKU-1", ProductName: "枇杷 5斤", Quantity: 3, AmountFen: 26700,
			Livestream: &domain.LivestreamRef{RoomID: "room-1", AnchorName: "小王"}}}
}

// TestApplyPaymentAgain applies a line's payment and then a second version:
// what Loquat computes with decides between a duplicate and a conflict, and
// either way the first payment is what counts.
func TestApplyPaymentAgain(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *domain.LinePayment)
		fields []string // nil: a duplicate
	}{
		{"identical redelivery", func(p *domain.LinePayment) {}, nil},
		{"same line in another event of the order", func(p *domain.LinePayment) { p.EventID = "pay-2" }, nil},
		{"carried fields changed", func(p *domain.LinePayment) {
			p.ProductName, p.BuyerRef, p.Quantity, p.Livestream = "枇杷 五斤装", "", 1, nil
		}, nil},
		{"same instant in another zone", func(p *domain.LinePayment) { p.PaidAt = p.PaidAt.UTC() }, nil},
		{"corrected amount", func(p *domain.LinePayment) { p.AmountFen = 26000 }, []string{"amount_fen"}},
		{"another sku", func(p *domain.LinePayment) { p.SKUID = "SKU-2" }, []string{"sku_id"}},
		{"another payment time", func(p *domain.LinePayment) { p.PaidAt = p.PaidAt.Add(time.Second) }, []string{"paid_at"}},
		{"another creation time and amount", func(p *domain.LinePayment) {
			p.CreatedAt, p.AmountFen = p.CreatedAt.Add(-time.Hour), 1
		}, []string{"amount_fen", "created_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := domain.LineState{Key: domain.LineKey{Platform: "file", OrderID: "O-1", LineID: "1"}}
			if changed, c := s.ApplyPayment(paidLine(), nil); !changed || c != nil {
				t.Fatalf("first payment: changed %v, conflict %+v; want changed, no conflict", changed, c)
			}
			want := s.Entries()
			again := paidLine()
			tt.change(&again)
			changed, c := s.ApplyPayment(again, nil)
			if changed {
				t.Error("the second version changed the line")
			}
			if got := s.Entries(); !reflect.DeepEqual(got, want) {
				t.Errorf("entries after the second version %+v, want the first's %+v", got, want)
			}
			if tt.fields == nil {
				if c != nil {
					t.Fatalf("a duplicate reported as a conflict on %v", c.Fields)
				}
				return
			}
			if c == nil {
				t.Fatalf("no conflict; want one on %v", tt.fields)
			}
			if !reflect.DeepEqual(c.Fields, tt.fields) || c.Kind != domain.ConflictPayment || c.Source != "file" || c.Key != "file/O-1/1" {
				t.Errorf("conflict %s %s %s on %v; want payment file file/O-1/1 on %v", c.Kind, c.Source, c.Key, c.Fields, tt.fields)
			}
			var kept, rejected domain.LinePayment
			mustUnmarshal(t, c.Kept.Fact, &kept)
			mustUnmarshal(t, c.Rejected.Fact, &rejected)
			if kept.AmountFen != 26700 || rejected.AmountFen != again.AmountFen || rejected.SKUID != again.SKUID {
				t.Errorf("kept %d fen, rejected %d fen %s; want %d and %d %s", kept.AmountFen, rejected.AmountFen, rejected.SKUID,
					26700, again.AmountFen, again.SKUID)
			}
			if c.Kept.EventID != "pay-1" || c.Rejected.EventID != again.EventID || !c.Rejected.At.Equal(again.PaidAt) {
				t.Errorf("versions %+v / %+v", c.Kept, c.Rejected)
			}
		})
	}
}

// TestApplyRefundAgain: a refund id again is a duplicate unless its amount
// differs; its time may move (platforms give a refund its last modification).
func TestApplyRefundAgain(t *testing.T) {
	r := domain.LineRefund{ID: "r-1", AmountFen: 8900, At: t0.Add(48 * time.Hour)}
	tests := []struct {
		name   string
		again  domain.LineRefund
		fields []string
	}{
		{"identical", r, nil},
		{"modified later", domain.LineRefund{ID: "r-1", AmountFen: 8900, At: r.At.Add(time.Hour)}, nil},
		{"another amount", domain.LineRefund{ID: "r-1", AmountFen: 9900, At: r.At}, []string{"amount_fen"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := domain.LineState{Key: domain.LineKey{Platform: "douyin", OrderID: "O-1", LineID: "1"}}
			s.ApplyPayment(paidLine(), nil)
			if changed, c := s.ApplyRefund(r); !changed || c != nil {
				t.Fatalf("first refund: changed %v, conflict %v", changed, c)
			}
			want := s.Entries()
			changed, c := s.ApplyRefund(tt.again)
			if changed || !reflect.DeepEqual(s.Entries(), want) {
				t.Errorf("the second version changed the line: %+v, want %+v", s.Entries(), want)
			}
			if (c != nil) != (tt.fields != nil) || (c != nil && !reflect.DeepEqual(c.Fields, tt.fields)) {
				t.Fatalf("conflict %+v, want one on %v", c, tt.fields)
			}
			if c != nil && (c.Kind != domain.ConflictRefund || c.Key != "douyin/O-1/1") {
				t.Errorf("conflict %s %s", c.Kind, c.Key)
			}
		})
	}
}

// TestRefundOnAnotherLine: a refund id belongs to one line of the order.
func TestRefundOnAnotherLine(t *testing.T) {
	s := domain.LineState{Key: domain.LineKey{Platform: "douyin", OrderID: "O-1", LineID: "1"}}
	r := domain.LineRefund{ID: "r-1", AmountFen: 8900, At: t0}
	s.ApplyRefund(r)
	kept, _ := s.Refund("r-1")
	c := s.RefundConflict(kept, "2", r)
	if c == nil || !reflect.DeepEqual(c.Fields, []string{"line_id"}) || c.Key != "douyin/O-1/2" {
		t.Fatalf("conflict %+v; want one on line_id keyed by the rejected line", c)
	}
	var rejected domain.RefundFact
	mustUnmarshal(t, c.Rejected.Fact, &rejected)
	if rejected.LineID != "2" || rejected.AmountFen != 8900 {
		t.Errorf("rejected fact %+v", rejected)
	}
	if c := s.RefundConflict(kept, "1", r); c != nil {
		t.Errorf("the same refund on its own line is a conflict: %+v", c)
	}
}

func TestIncomeConflict(t *testing.T) {
	kept := domain.IncomeRecorded{HouseholdID: "H-0001", Kind: domain.IncomeProcurement, AmountFen: 126050,
		EnterpriseID: "E-HELPER", OccurredAt: t0, Reference: "HS-PO-1"}
	tests := []struct {
		name   string
		change func(e *domain.IncomeRecorded)
		fields []string
	}{
		{"identical", func(e *domain.IncomeRecorded) {}, nil},
		{"same second, another zone", func(e *domain.IncomeRecorded) { e.OccurredAt = e.OccurredAt.UTC().Add(time.Millisecond) }, nil},
		{"corrected amount", func(e *domain.IncomeRecorded) { e.AmountFen = 162050 }, []string{"amount_fen"}},
		{"another kind and day", func(e *domain.IncomeRecorded) {
			e.Kind, e.OccurredAt = domain.IncomeWage, e.OccurredAt.AddDate(0, 0, 1)
		}, []string{"kind", "occurred_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again := kept
			tt.change(&again)
			c := domain.IncomeConflict(kept, again)
			if (c != nil) != (tt.fields != nil) || (c != nil && !reflect.DeepEqual(c.Fields, tt.fields)) {
				t.Fatalf("conflict %+v, want one on %v", c, tt.fields)
			}
			if c == nil {
				return
			}
			if c.Kind != domain.ConflictIncome || c.Source != "income" || c.Key != "E-HELPER/HS-PO-1/H-0001" ||
				c.Kept.EventID != kept.ID() || c.Rejected.EventID != kept.ID() {
				t.Errorf("conflict %s %s %s, events %s %s", c.Kind, c.Source, c.Key, c.Kept.EventID, c.Rejected.EventID)
			}
			var k, r domain.IncomeRecorded
			mustUnmarshal(t, c.Kept.Fact, &k)
			mustUnmarshal(t, c.Rejected.Fact, &r)
			if k.AmountFen != kept.AmountFen || r.AmountFen != again.AmountFen || r.Kind != again.Kind {
				t.Errorf("versions %+v / %+v", k, r)
			}
		})
	}
}

// TestConflictIDs: the same rejected version is the same conflict, another
// rejected version of the same fact another.
func TestConflictIDs(t *testing.T) {
	kept := domain.IncomeRecorded{HouseholdID: "H-1", Kind: domain.IncomeWage, AmountFen: 100, EnterpriseID: "E", OccurredAt: t0, Reference: "R"}
	v2, v3 := kept, kept
	v2.AmountFen, v3.AmountFen = 200, 300
	a, b, c := domain.IncomeConflict(kept, v2), domain.IncomeConflict(kept, v2), domain.IncomeConflict(kept, v3)
	if a.ID != b.ID || a.ID == c.ID {
		t.Errorf("ids %s %s %s: want the first two equal, the third different", a.ID, b.ID, c.ID)
	}
}

func mustUnmarshal(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("fact %s: %v", raw, err)
	}
}
