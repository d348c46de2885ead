package domain

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Corrections are events too (DESIGN.md, "Corrections"): an operator who
// voids or amends an imported order line or income record, or resolves a
// conflict, appends a CorrectionRecorded naming the original, the operator
// and the reason. Nothing is edited in place: the projector applies the
// correction on top of the facts it corrects, so a rebuild from the log
// gives the same answer.

// TypeCorrectionRecorded is the event type of a correction.
const TypeCorrectionRecorded EventType = "correction.recorded"

// CorrectionAction is what a correction does to its target.
type CorrectionAction string

const (
	// CorrectVoid takes a line's or income record's money out of every figure.
	CorrectVoid CorrectionAction = "void"
	// CorrectAmend replaces a line's paid amount or an income record's amount.
	CorrectAmend CorrectionAction = "amend"
	// CorrectAcceptConflict makes a conflict's rejected version count in
	// place of the kept one.
	CorrectAcceptConflict CorrectionAction = "accept_conflict"
	// CorrectKeepConflict confirms the kept version: the conflict is resolved.
	CorrectKeepConflict CorrectionAction = "keep_conflict"
)

// CorrectionTarget names what a correction corrects: exactly one of an
// order line, an income record (its event id) or a conflict (its id).
type CorrectionTarget struct {
	Line       *LineKey `json:"line,omitempty"`
	IncomeID   string   `json:"income_id,omitempty"`
	ConflictID string   `json:"conflict_id,omitempty"`
}

// String is the target as stores index it: "line:platform/order/line",
// "income:<event id>" or "conflict:<id>".
func (t CorrectionTarget) String() string {
	switch {
	case t.Line != nil:
		return LineTarget(*t.Line)
	case t.IncomeID != "":
		return "income:" + t.IncomeID
	case t.ConflictID != "":
		return "conflict:" + t.ConflictID
	}
	return ""
}

// LineTarget is the target string of an order line.
func LineTarget(k LineKey) string { return "line:" + k.Platform + "/" + k.OrderID + "/" + k.LineID }

// CorrectionRecorded is an operator's correction of one imported fact.
type CorrectionRecorded struct {
	Target CorrectionTarget `json:"target"`
	Action CorrectionAction `json:"action"`
	// AmountFen is the amended amount (amend only): a line's paid amount or
	// an income record's amount.
	AmountFen Fen `json:"amount_fen,omitempty"`
	// Operator is the account that made the correction.
	Operator string `json:"operator"`
	Reason   string `json:"reason"`
	// At is when the operator made it; it orders a target's corrections.
	At time.Time `json:"at"`
}

func (*CorrectionRecorded) Type() EventType { return TypeCorrectionRecorded }

// ID derives from the whole correction, its time included: the same
// correction delivered again (or replayed by a rebuild) is applied once,
// while the same words typed again later are a new correction.
func (e *CorrectionRecorded) ID() string {
	return DeriveEventID(TypeCorrectionRecorded, e.Target.String(), string(e.Action),
		strconv.FormatInt(int64(e.AmountFen), 10), e.Operator, e.Reason, e.At.UTC().Format(time.RFC3339Nano))
}

// PartitionKey keeps a line's correction in order with its order's events;
// other corrections share one key, so they apply in the order made.
func (e *CorrectionRecorded) PartitionKey() string {
	if l := e.Target.Line; l != nil {
		return OrderKey(l.Platform, l.OrderID)
	}
	return "corrections"
}

// Validate reports every problem at once.
func (e *CorrectionRecorded) Validate() error {
	var errs []error
	n := 0
	if l := e.Target.Line; l != nil {
		n++
		if l.Platform == "" || l.OrderID == "" || l.LineID == "" {
			errs = append(errs, fmt.Errorf("line target %s/%s/%s needs platform, order id and line id", l.Platform, l.OrderID, l.LineID))
		}
	}
	if e.Target.IncomeID != "" {
		n++
	}
	if e.Target.ConflictID != "" {
		n++
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("a correction names exactly one line, income record or conflict, not %d", n))
	}
	switch e.Action {
	case CorrectVoid, CorrectAmend:
		if e.Target.ConflictID != "" {
			errs = append(errs, fmt.Errorf("%s applies to a line or an income record, not a conflict", e.Action))
		}
	case CorrectAcceptConflict, CorrectKeepConflict:
		if e.Target.ConflictID == "" {
			errs = append(errs, fmt.Errorf("%s applies to a conflict", e.Action))
		}
	default:
		errs = append(errs, fmt.Errorf("action %q is none of void, amend, accept_conflict, keep_conflict", e.Action))
	}
	if e.Action == CorrectAmend && e.AmountFen <= 0 {
		errs = append(errs, fmt.Errorf("amended amount is %d fen, must be positive (void to take it out)", e.AmountFen))
	}
	if e.Action != CorrectAmend && e.AmountFen != 0 {
		errs = append(errs, fmt.Errorf("%s takes no amount", e.Action))
	}
	if strings.TrimSpace(e.Operator) == "" {
		errs = append(errs, errors.New("operator is empty"))
	}
	if strings.TrimSpace(e.Reason) == "" {
		errs = append(errs, errors.New("reason is empty: say why"))
	}
	errs = append(errs, requireTime("at", e.At))
	return errors.Join(errs...)
}

// LineCorrection is a correction as a line keeps it: it changes what the
// line's payment counts, never the payment as imported.
type LineCorrection struct {
	ID     string           `json:"id"`
	Action CorrectionAction `json:"action"`
	At     time.Time        `json:"at"`
	// AmountFen is the amended paid amount (amend).
	AmountFen Fen `json:"amount_fen,omitempty"`
	// Payment and Listing are the accepted version and the listing that
	// attributes it (accept_conflict): a payment may change its SKU.
	Payment *LinePayment `json:"payment,omitempty"`
	Listing *Listing     `json:"listing,omitempty"`
}

// ErrNothingToCorrect is a correction of a line never paid.
var ErrNothingToCorrect = errors.New("the line has no payment to correct")

// ApplyCorrection adds a correction to the line; it reports whether the
// line changed (the same correction again is a duplicate). Corrections are
// kept in (At, ID) order and applied in it, so the line's figures are a
// pure function of its events, whatever order they arrive in.
func (s *LineState) ApplyCorrection(c LineCorrection) (changed bool, err error) {
	if s.Payment == nil {
		return false, ErrNothingToCorrect
	}
	for _, have := range s.Corrections {
		if have.ID == c.ID {
			return false, nil
		}
	}
	s.Corrections = append(s.Corrections, c)
	sort.SliceStable(s.Corrections, func(i, j int) bool {
		a, b := s.Corrections[i], s.Corrections[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
	return true, nil
}

// Effective is the payment and listing that count after the corrections,
// nil when the line is unpaid or voided. A void takes the line out; an
// amendment replaces the paid amount (and brings a voided line back with
// it); an accepted conflict replaces the payment. tag names the last
// correction ("" for none): entries of a corrected line carry it, so that
// a correction replaces every entry of the line in the ledger.
func (s *LineState) Effective() (pay *LinePayment, listing *Listing, tag string) {
	if s.Payment == nil {
		return nil, nil, ""
	}
	pay, listing = s.Payment, s.Listing
	for _, c := range s.Corrections {
		tag = c.ID
		switch c.Action {
		case CorrectVoid:
			pay = nil
		case CorrectAmend:
			base := s.Payment
			if pay != nil {
				base = pay
			}
			p := *base
			p.AmountFen = c.AmountFen
			pay = &p
		case CorrectAcceptConflict:
			if c.Payment != nil {
				p := *c.Payment
				pay, listing = &p, c.Listing
			}
		}
	}
	return pay, listing, tag
}

// CorrectIncome is how a correction changes an income record: current is
// the record as it counts now (nil: voided), accepted the conflict's
// rejected version (accept_conflict). It returns the record that counts
// after (nil: voided).
func CorrectIncome(current *IncomeRecorded, c *CorrectionRecorded, accepted *IncomeRecorded) (*IncomeRecorded, error) {
	switch c.Action {
	case CorrectVoid:
		if current == nil {
			return nil, errors.New("the income record is already void")
		}
		return nil, nil
	case CorrectAmend:
		if current == nil {
			return nil, errors.New("the income record is void; it cannot be amended")
		}
		after := *current
		after.AmountFen = c.AmountFen
		return &after, nil
	case CorrectAcceptConflict:
		if accepted == nil {
			return nil, errors.New("no rejected income version to accept")
		}
		after := *accepted
		return &after, nil
	}
	return nil, fmt.Errorf("%s does not correct an income record", c.Action)
}
