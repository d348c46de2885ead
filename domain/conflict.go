package domain

import (
	"encoding/json"
	"time"
)

// A conflict is the same source id arriving again with different content:
// a line paid again with another amount, a refund id again with another
// amount or on another line, an income voucher again with another amount.
// Event ids derive from the sources' own ids, so both versions carry the
// same id and only one can count. The first in log order stands (the
// figures never move silently); the later one is rejected and recorded
// with both versions until an operator corrects the source.
//
// Only what Loquat computes with is compared: amounts, SKUs, times that
// place money on a day, and the keys. What a platform legitimately changes
// between repeated deliveries of one order (status, names, buyer and
// livestream details, a refund's modification time) is carried, not
// compared, so a poller reading the same order many times never conflicts.

// ConflictKind says what kind of fact conflicts.
type ConflictKind string

const (
	// ConflictPayment: a line paid again with another SKU, amount, or
	// creation or payment time.
	ConflictPayment ConflictKind = "payment"
	// ConflictRefund: a refund id again with another amount or on another
	// line of the order.
	ConflictRefund ConflictKind = "refund"
	// ConflictIncome: an income record (enterprise, reference, household)
	// again with another kind, amount or time.
	ConflictIncome ConflictKind = "income"
)

// Conflict is a rejected version of a fact and the version that counts.
type Conflict struct {
	// ID derives from the kind, the key and the rejected version's content:
	// the same rejected version delivered again (or replayed by a rebuild)
	// is the same conflict, recorded once.
	ID   string       `json:"id"`
	Kind ConflictKind `json:"kind"`
	// Source is the order's platform, or "income" for recorded income.
	Source string `json:"source"`
	// Key is platform/order_id/line_id, or enterprise_id/reference/household_id.
	Key string `json:"key"`
	// Fields names the compared fields in which the versions differ.
	Fields   []string        `json:"fields"`
	Kept     ConflictVersion `json:"kept"`
	Rejected ConflictVersion `json:"rejected"`
	// DetectedAt is when the projector rejected the later version.
	DetectedAt time.Time `json:"detected_at"`
	// Resolution is the correction that resolved the conflict, nil while
	// it is open. Stores keep conflicts as found; listings fill it in from
	// the corrections.
	Resolution *ConflictResolution `json:"resolution,omitempty"`
}

// ConflictResolution is how an operator resolved a conflict.
type ConflictResolution struct {
	CorrectionID string           `json:"correction_id"`
	Action       CorrectionAction `json:"action"` // accept_conflict or keep_conflict
	ResolvedBy   string           `json:"resolved_by"`
	ResolvedAt   time.Time        `json:"resolved_at"`
	Reason       string           `json:"reason"`
}

// ConflictVersion is one version of a conflicting fact.
type ConflictVersion struct {
	// EventID is the event that carried it; often the same for both
	// versions, since ids derive from the source's ids.
	EventID string `json:"event_id"`
	// At is the version's own time: paid at, refunded at, occurred at.
	At time.Time `json:"at"`
	// LogPosition is where the rejected version is in the event log
	// ("partition/offset"); empty for the kept version, which the read
	// model keeps as a fact, not as a message.
	LogPosition string `json:"log_position,omitempty"`
	// Fact is the version's content, JSON: a LinePayment, a RefundFact or
	// an IncomeRecorded.
	Fact json.RawMessage `json:"fact"`
}

// RefundFact is a refund as a conflict shows it: the refund and its line.
type RefundFact struct {
	LineID string `json:"line_id"`
	LineRefund
}

// paymentDiff names the fields Loquat computes with in which two payments
// of one line differ.
func paymentDiff(kept, p LinePayment) []string {
	var out []string
	if kept.SKUID != p.SKUID {
		out = append(out, "sku_id")
	}
	if kept.AmountFen != p.AmountFen {
		out = append(out, "amount_fen")
	}
	if !kept.CreatedAt.Equal(p.CreatedAt) {
		out = append(out, "created_at")
	}
	if !kept.PaidAt.Equal(p.PaidAt) {
		out = append(out, "paid_at")
	}
	return out
}

// refundDiff names the fields in which two refunds with one id differ. The
// time is not compared: platforms give a refund the time its after-sale or
// order was last modified (Douyin modify_time, JD modified, Kuaishou
// updateTime), which moves when they touch it again. The first time stands.
func refundDiff(keptLine string, kept LineRefund, line string, r LineRefund) []string {
	var out []string
	if keptLine != line {
		out = append(out, "line_id")
	}
	if kept.AmountFen != r.AmountFen {
		out = append(out, "amount_fen")
	}
	return out
}

// IncomeDiff names the fields in which two records of one income id
// differ. Times are compared to the second, as the read models keep them.
func IncomeDiff(kept, e IncomeRecorded) []string {
	var out []string
	if kept.HouseholdID != e.HouseholdID {
		out = append(out, "household_id")
	}
	if kept.EnterpriseID != e.EnterpriseID {
		out = append(out, "enterprise_id")
	}
	if kept.Reference != e.Reference {
		out = append(out, "reference")
	}
	if kept.Kind != e.Kind {
		out = append(out, "kind")
	}
	if kept.AmountFen != e.AmountFen {
		out = append(out, "amount_fen")
	}
	if kept.OccurredAt.Unix() != e.OccurredAt.Unix() {
		out = append(out, "occurred_at")
	}
	return out
}

// IncomeConflict returns the conflict of a rejected income record with the
// kept one of the same id, or nil when they agree (a duplicate).
func IncomeConflict(kept, rejected IncomeRecorded) *Conflict {
	fields := IncomeDiff(kept, rejected)
	if len(fields) == 0 {
		return nil
	}
	key := rejected.EnterpriseID + "/" + rejected.Reference + "/" + rejected.HouseholdID
	return newConflict(ConflictIncome, "income", key, fields,
		version(kept.ID(), kept.OccurredAt, kept), version(rejected.ID(), rejected.OccurredAt, rejected))
}

func lineConflict(kind ConflictKind, key LineKey, fields []string, kept, rejected ConflictVersion) *Conflict {
	return newConflict(kind, key.Platform, key.Platform+"/"+key.OrderID+"/"+key.LineID, fields, kept, rejected)
}

func newConflict(kind ConflictKind, source, key string, fields []string, kept, rejected ConflictVersion) *Conflict {
	return &Conflict{
		ID:   DeriveEventID("loquat.conflict", string(kind), key, string(rejected.Fact)),
		Kind: kind, Source: source, Key: key, Fields: fields,
		Kept: kept, Rejected: rejected,
	}
}

func version(eventID string, at time.Time, fact any) ConflictVersion {
	b, err := json.Marshal(fact)
	if err != nil {
		// Only a time outside years 0-9999 fails, which validation keeps
		// out; the conflict is still recorded, without the fact.
		b = []byte("null")
	}
	return ConflictVersion{EventID: eventID, At: at.In(ChinaTime), Fact: b}
}
