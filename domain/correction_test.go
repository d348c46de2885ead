package domain

import (
	"strings"
	"testing"
	"time"
)

func TestCorrectionValidate(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, ChinaTime)
	line := &LineKey{Platform: "douyin", OrderID: "o1", LineID: "l1"}
	ok := func(c CorrectionRecorded) CorrectionRecorded {
		if c.Operator == "" {
			c.Operator = "admin"
		}
		if c.Reason == "" {
			c.Reason = "typo in the ledger"
		}
		if c.At.IsZero() {
			c.At = at
		}
		return c
	}
	tests := []struct {
		name string
		c    CorrectionRecorded
		want string // "" valid, else a part of the error
	}{
		{"void line", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: CorrectVoid}), ""},
		{"amend income", ok(CorrectionRecorded{Target: CorrectionTarget{IncomeID: "i1"}, Action: CorrectAmend, AmountFen: 100}), ""},
		{"keep conflict", ok(CorrectionRecorded{Target: CorrectionTarget{ConflictID: "c1"}, Action: CorrectKeepConflict}), ""},
		{"no target", ok(CorrectionRecorded{Action: CorrectVoid}), "exactly one"},
		{"two targets", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line, IncomeID: "i1"}, Action: CorrectVoid}), "exactly one"},
		{"line without id", ok(CorrectionRecorded{Target: CorrectionTarget{Line: &LineKey{Platform: "jd"}}, Action: CorrectVoid}), "needs platform"},
		{"amend without amount", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: CorrectAmend}), "must be positive"},
		{"void with amount", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: CorrectVoid, AmountFen: 5}), "takes no amount"},
		{"accept a line", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: CorrectAcceptConflict}), "applies to a conflict"},
		{"void a conflict", ok(CorrectionRecorded{Target: CorrectionTarget{ConflictID: "c1"}, Action: CorrectVoid}), "not a conflict"},
		{"unknown action", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: "delete"}), "none of"},
		{"blank reason", ok(CorrectionRecorded{Target: CorrectionTarget{Line: line}, Action: CorrectVoid, Reason: "  "}), "reason is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestCorrectionRoundTrip(t *testing.T) {
	c := &CorrectionRecorded{Target: CorrectionTarget{Line: &LineKey{Platform: "jd", OrderID: "o", LineID: "1"}}, Action: CorrectAmend,
		AmountFen: 990, Operator: "admin", Reason: "the buyer paid 9.90", At: time.Date(2026, 12, 7, 10, 0, 0, 0, ChinaTime)}
	b, err := MarshalEvent(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalEvent(TypeCorrectionRecorded, CurrentVersion, b)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID() != c.ID() || back.PartitionKey() != OrderKey("jd", "o") {
		t.Errorf("decoded correction has id %s key %s, want %s and %s", back.ID(), back.PartitionKey(), c.ID(), OrderKey("jd", "o"))
	}
	later := *c
	later.At = later.At.Add(time.Second)
	if later.ID() == c.ID() {
		t.Error("the same correction made later has the same id")
	}
}

// TestLineCorrections: what a line counts after its corrections, applied
// in (At, ID) order whatever order they arrive in.
func TestLineCorrections(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, ChinaTime)
	paid := func() LineState {
		return LineState{
			Key:     LineKey{Platform: "douyin", OrderID: "o1", LineID: "l1"},
			Payment: &LinePayment{EventID: "pay", PaidAt: t0, PaidLine: PaidLine{LineID: "l1", SKUID: "s1", AmountFen: 1000}},
			Refunds: []LineRefund{{ID: "r1", AmountFen: 300, At: t0.Add(time.Hour)}},
		}
	}
	void := LineCorrection{ID: "c-void", Action: CorrectVoid, At: t0.Add(24 * time.Hour)}
	amend := LineCorrection{ID: "c-amend", Action: CorrectAmend, AmountFen: 200, At: t0.Add(48 * time.Hour)}
	accept := LineCorrection{ID: "c-accept", Action: CorrectAcceptConflict, At: t0.Add(72 * time.Hour),
		Payment: &LinePayment{EventID: "pay", PaidAt: t0.Add(time.Minute), PaidLine: PaidLine{LineID: "l1", SKUID: "s2", AmountFen: 1500}}}
	tests := []struct {
		name        string
		corrections []LineCorrection
		wantIDs     []string
		wantFen     []Fen
	}{
		{"none", nil, []string{"pay/l1", "r1"}, []Fen{1000, -300}},
		{"void", []LineCorrection{void}, nil, nil},
		{"amend below the refund: the refund is clipped", []LineCorrection{amend}, []string{"pay/l1~c-amend", "r1~c-amend"}, []Fen{200, -200}},
		{"amend after void brings the line back", []LineCorrection{amend, void}, []string{"pay/l1~c-amend", "r1~c-amend"}, []Fen{200, -200}},
		{"accept a conflict's payment", []LineCorrection{accept}, []string{"pay/l1~c-accept", "r1~c-accept"}, []Fen{1500, -300}},
		{"the same correction twice counts once", []LineCorrection{void, void}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := paid()
			for _, c := range tt.corrections {
				if _, err := st.ApplyCorrection(c); err != nil {
					t.Fatal(err)
				}
			}
			var ids []string
			var fen []Fen
			for _, e := range st.Entries() {
				ids = append(ids, e.ID)
				fen = append(fen, e.AmountFen)
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") || len(fen) != len(tt.wantFen) {
				t.Fatalf("entries %v %v, want %v %v", ids, fen, tt.wantIDs, tt.wantFen)
			}
			for i := range fen {
				if fen[i] != tt.wantFen[i] {
					t.Errorf("entry %s: %d fen, want %d", ids[i], fen[i], tt.wantFen[i])
				}
			}
		})
	}
	var unpaid LineState
	if _, err := unpaid.ApplyCorrection(void); err != ErrNothingToCorrect {
		t.Errorf("correcting an unpaid line: %v, want ErrNothingToCorrect", err)
	}
}

func TestCorrectIncome(t *testing.T) {
	rec := IncomeRecorded{HouseholdID: "h1", Kind: IncomeWage, AmountFen: 5000, EnterpriseID: "e1", Reference: "v1", OccurredAt: time.Date(2026, 3, 1, 0, 0, 0, 0, ChinaTime)}
	other := rec
	other.AmountFen, other.Kind = 7000, IncomeSubsidy
	tests := []struct {
		name     string
		current  *IncomeRecorded
		c        CorrectionRecorded
		accepted *IncomeRecorded
		want     *IncomeRecorded // nil: void
		err      string
	}{
		{"void", &rec, CorrectionRecorded{Action: CorrectVoid}, nil, nil, ""},
		{"void twice", nil, CorrectionRecorded{Action: CorrectVoid}, nil, nil, "already void"},
		{"amend", &rec, CorrectionRecorded{Action: CorrectAmend, AmountFen: 4500}, nil, &IncomeRecorded{HouseholdID: "h1", Kind: IncomeWage, AmountFen: 4500, EnterpriseID: "e1", Reference: "v1", OccurredAt: rec.OccurredAt}, ""},
		{"amend a void", nil, CorrectionRecorded{Action: CorrectAmend, AmountFen: 4500}, nil, nil, "is void"},
		{"accept", &rec, CorrectionRecorded{Action: CorrectAcceptConflict}, &other, &other, ""},
		{"keep", &rec, CorrectionRecorded{Action: CorrectKeepConflict}, nil, nil, "does not correct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CorrectIncome(tt.current, &tt.c, tt.accepted)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (got == nil) != (tt.want == nil) || (got != nil && len(IncomeDiff(*got, *tt.want)) > 0) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
