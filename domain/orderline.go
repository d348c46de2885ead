package domain

import (
	"sort"
	"strings"
	"time"
)

// LineKey identifies one goods line of one platform order.
type LineKey struct {
	Platform string `json:"platform"`
	OrderID  string `json:"order_id"`
	LineID   string `json:"line_id"`
}

// LinePayment is what a line's payment contributes: the line as paid and the
// times attribution and GMV need.
type LinePayment struct {
	EventID   string    `json:"event_id"`
	CreatedAt time.Time `json:"created_at"`
	PaidAt    time.Time `json:"paid_at"`
	BuyerRef  string    `json:"buyer_ref,omitempty"`
	PaidLine
}

// LineRefund is one refund claimed against a line.
type LineRefund struct {
	// ID is unique per refund: the refund event's ID, or for a cancellation
	// OrderCancelled.RefundID.
	ID        string    `json:"id"`
	AmountFen Fen       `json:"amount_fen"`
	At        time.Time `json:"at"`
}

// LineState is everything known about one order line. It is built from the
// line's events in any order and with any duplicates, and always gives the
// same Entries: the lifecycle is a pure function of the set of events seen.
type LineState struct {
	Key     LineKey      `json:"key"`
	Payment *LinePayment `json:"payment,omitempty"`
	// Listing is the listing that attributes the line, fixed when the payment
	// is first applied: the version in force at the order's creation, as the
	// registry stood then. Refunds reuse it, so a sale and its refund are
	// always split alike. Nil means unattributed.
	Listing *Listing `json:"listing,omitempty"`
	// Refunds are kept sorted by (At, ID), including refunds that arrived
	// before the payment: they wait for it.
	Refunds []LineRefund `json:"refunds,omitempty"`
}

// ApplyPayment records the line's payment and the listing that attributes it
// (nil: none covers the SKU); it reports whether the line changed. A line
// already paid keeps its first payment: the same payment again (a
// redelivery, or the line in another event of the order) is a duplicate,
// and one that differs in what Loquat computes with is returned as a
// conflict, rejected.
func (s *LineState) ApplyPayment(p LinePayment, listing *Listing) (changed bool, conflict *Conflict) {
	if s.Payment == nil {
		s.Payment = &p
		s.Listing = listing
		return true, nil
	}
	fields := paymentDiff(*s.Payment, p)
	if len(fields) == 0 {
		return false, nil
	}
	return false, lineConflict(ConflictPayment, s.Key, fields,
		version(s.Payment.EventID, s.Payment.PaidAt, s.Payment), version(p.EventID, p.PaidAt, p))
}

// ApplyRefund records a refund; it reports whether the line changed. A
// refund id already seen keeps its first version: the same refund again is
// a duplicate, one with another amount is returned as a conflict, rejected.
func (s *LineState) ApplyRefund(r LineRefund) (changed bool, conflict *Conflict) {
	if have, ok := s.Refund(r.ID); ok {
		return false, s.RefundConflict(have, s.Key.LineID, r)
	}
	s.Refunds = append(s.Refunds, r)
	sort.SliceStable(s.Refunds, func(i, j int) bool {
		a, b := s.Refunds[i], s.Refunds[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		return a.ID < b.ID
	})
	return true, nil
}

// Refund returns the line's refund with the id, if it has one.
func (s *LineState) Refund(id string) (LineRefund, bool) {
	for _, have := range s.Refunds {
		if sameRefund(have.ID, id) {
			return have, true
		}
	}
	return LineRefund{}, false
}

// sameRefund reports whether two refund ids name one refund. Files do not
// number refunds; ingest/file makes an id from the row. Before 2026-12 it
// wrote the amount into it ("file:<line>:<instant>:<fen>"), so a re-import
// correcting the amount counted a second refund; the ids it writes now end
// at the instant ("file:<line>:<instant>"), and a corrected amount is a
// conflict. A log holding the older spelling keeps its meaning: both
// spellings of one line and instant name one refund.
func sameRefund(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if !strings.HasPrefix(a, "file:") || !strings.HasPrefix(b, a+":") {
		return false
	}
	fen := b[len(a)+1:]
	return fen != "" && strings.Trim(fen, "0123456789") == ""
}

// RefundConflict returns the conflict of refund r, claimed against the
// order's line lineID, with kept, the refund of the same id this line
// holds; nil when they agree. A refund id names one refund of one line
// (RefundSucceeded.ID does not include the line), so the same id claimed
// against another line of the order is a conflict too.
func (s *LineState) RefundConflict(kept LineRefund, lineID string, r LineRefund) *Conflict {
	fields := refundDiff(s.Key.LineID, kept, lineID, r)
	if len(fields) == 0 {
		return nil
	}
	key := s.Key
	key.LineID = lineID
	return lineConflict(ConflictRefund, key, fields,
		version(kept.ID, kept.At, RefundFact{LineID: s.Key.LineID, LineRefund: kept}),
		version(r.ID, r.At, RefundFact{LineID: lineID, LineRefund: r}))
}

// EntryKind is a sale (positive) or a refund (negative).
type EntryKind string

const (
	EntrySale   EntryKind = "sale"
	EntryRefund EntryKind = "refund"
)

// Entry is a line's contribution to the figures at one moment: the sale at
// payment time, each refund at refund time.
type Entry struct {
	ID   string    `json:"id"`
	Kind EntryKind `json:"kind"`
	At   time.Time `json:"at"`
	// AmountFen is signed: positive for a sale, negative for a refund.
	AmountFen Fen `json:"amount_fen"`
}

// Entries derives the line's ledger entries. An unpaid line has none (an
// order never paid never counts, and a refund waits for its payment). Refunds
// are taken in (time, id) order and clipped so their sum never exceeds the
// paid amount: a cancellation reported besides a refund of the same money, or
// a refund pushed for more than was paid, is not counted twice. Fully clipped
// refunds give no entry.
func (s *LineState) Entries() []Entry {
	if s.Payment == nil {
		return nil
	}
	// One payment event pays every line of an order: the line id makes the
	// sale entry's id unique.
	out := []Entry{{ID: s.Payment.EventID + "/" + s.Key.LineID, Kind: EntrySale, At: s.Payment.PaidAt, AmountFen: s.Payment.AmountFen}}
	left := s.Payment.AmountFen
	for _, r := range s.Refunds {
		amt := min(r.AmountFen, left)
		if amt <= 0 {
			continue
		}
		left -= amt
		out = append(out, Entry{ID: r.ID, Kind: EntryRefund, At: r.At, AmountFen: -amt})
	}
	return out
}
