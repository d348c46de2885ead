package domain

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// EventType names a kind of event; with EventVersion it selects the payload's schema.
type EventType string

// Every event type in the log. A type never changes meaning: an incompatible
// payload gets a new version and a decoder for the old one stays.
const (
	TypeDistrictDefined      EventType = "registry.district_defined"
	TypeVillageRegistered    EventType = "registry.village_registered"
	TypeHouseholdRegistered  EventType = "registry.household_registered"
	TypeEnterpriseRegistered EventType = "registry.enterprise_registered"
	TypeListingPublished     EventType = "registry.listing_published"
	TypeMonitoringLineSet    EventType = "registry.monitoring_line_set"
	TypeHouseholdTermsSet    EventType = "registry.household_terms_set"
	TypeOrderCreated         EventType = "order.created"
	TypeOrderPaid            EventType = "order.paid"
	TypeOrderShipped         EventType = "order.shipped"
	TypeOrderCompleted       EventType = "order.completed"
	TypeOrderCancelled       EventType = "order.cancelled"
	TypeRefundSucceeded      EventType = "order.refund_succeeded"
	TypeIncomeRecorded       EventType = "income.recorded"
)

// IsRegistry reports whether events of this type describe the registry.
func (t EventType) IsRegistry() bool { return strings.HasPrefix(string(t), "registry.") }

// CurrentVersion is the payload version written for every event type today.
const CurrentVersion = 1

// Event is a fact Loquat has learnt from a source. Its ID is derived from the
// source's own ids, so the same platform message sent twice gives the same
// event ID and is counted once.
type Event interface {
	Type() EventType
	// ID is deterministic: see DeriveEventID.
	ID() string
	// PartitionKey keeps the events of one order (or one registry) in order
	// on one partition of the log.
	PartitionKey() string
	Validate() error
}

// DeriveEventID derives a name-based UUID (RFC 4122 version 5 layout, SHA-1)
// from an event kind and the source's identifying fields. Equal inputs give
// equal IDs across processes and restarts.
func DeriveEventID(kind EventType, parts ...string) string {
	h := sha1.New()
	h.Write([]byte("loquat/"))
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	var sum [sha1.Size]byte
	u := h.Sum(sum[:0])
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	// The 8-4-4-4-12 hex form, written directly: the projector derives an
	// id for every payment and refund it applies.
	var out [36]byte
	hex.Encode(out[0:8], u[0:4])
	hex.Encode(out[9:13], u[4:6])
	hex.Encode(out[14:18], u[6:8])
	hex.Encode(out[19:23], u[8:10])
	hex.Encode(out[24:36], u[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

func contentID(kind EventType, v any) string {
	b, _ := json.Marshal(v) // registry structs always marshal
	return DeriveEventID(kind, string(b))
}

// OrderKey is the partition key of an order's events.
func OrderKey(platform, orderID string) string { return "order/" + platform + "/" + orderID }

const registryKey = "registry"

// ---- registry events: ids derive from content, so reloading the same file
// adds nothing and a changed entity is a new event.

// DistrictDefined sets the district and its monitoring line.
type DistrictDefined struct{ District }

func (*DistrictDefined) Type() EventType      { return TypeDistrictDefined }
func (e *DistrictDefined) ID() string         { return contentID(TypeDistrictDefined, e) }
func (*DistrictDefined) PartitionKey() string { return registryKey }
func (e *DistrictDefined) Validate() error {
	var errs []error
	if e.District.ID == "" {
		errs = append(errs, errors.New("district id is empty"))
	}
	if e.MonitoringLineFen <= 0 {
		errs = append(errs, fmt.Errorf("monitoring_line_fen is %d, must be positive", e.MonitoringLineFen))
	}
	return errors.Join(errs...)
}

// VillageRegistered adds or replaces a village.
type VillageRegistered struct{ Village }

func (*VillageRegistered) Type() EventType      { return TypeVillageRegistered }
func (e *VillageRegistered) ID() string         { return contentID(TypeVillageRegistered, e) }
func (*VillageRegistered) PartitionKey() string { return registryKey }
func (e *VillageRegistered) Validate() error {
	if e.Village.ID == "" {
		return errors.New("village id is empty")
	}
	return nil
}

// HouseholdRegistered adds or replaces a household.
type HouseholdRegistered struct{ Household }

func (*HouseholdRegistered) Type() EventType      { return TypeHouseholdRegistered }
func (e *HouseholdRegistered) ID() string         { return contentID(TypeHouseholdRegistered, e) }
func (*HouseholdRegistered) PartitionKey() string { return registryKey }
func (e *HouseholdRegistered) Validate() error    { return e.Household.Validate() }

// EnterpriseRegistered adds or replaces an enterprise.
type EnterpriseRegistered struct{ Enterprise }

func (*EnterpriseRegistered) Type() EventType      { return TypeEnterpriseRegistered }
func (e *EnterpriseRegistered) ID() string         { return contentID(TypeEnterpriseRegistered, e) }
func (*EnterpriseRegistered) PartitionKey() string { return registryKey }
func (e *EnterpriseRegistered) Validate() error {
	if e.Enterprise.ID == "" {
		return errors.New("enterprise id is empty")
	}
	return nil
}

// ListingPublished adds a listing version (or replaces the one with the same
// platform, SKU and effective time).
type ListingPublished struct{ Listing }

func (*ListingPublished) Type() EventType      { return TypeListingPublished }
func (e *ListingPublished) ID() string         { return contentID(TypeListingPublished, e) }
func (*ListingPublished) PartitionKey() string { return registryKey }
func (e *ListingPublished) Validate() error    { return e.Listing.Validate() }

// ---- order events

// LivestreamRef says which live room (Douyin room_id) or live seller
// (Kuaishou distributorId) a line was sold through.
type LivestreamRef struct {
	RoomID     string `json:"room_id"`
	AnchorID   string `json:"anchor_id,omitempty"`
	AnchorName string `json:"anchor_name,omitempty"`
}

// LivestreamID is the API id of a livestream: platform and room, e.g. "douyin:6823941120781224715".
func LivestreamID(platform string, ref *LivestreamRef) string {
	if ref == nil || ref.RoomID == "" {
		return ""
	}
	return platform + ":" + ref.RoomID
}

// PaidLine is one goods line of a paid order. AmountFen is what the buyer
// paid for the goods after discounts, freight excluded.
type PaidLine struct {
	LineID      string         `json:"line_id"`
	SKUID       string         `json:"sku_id"`
	ProductName string         `json:"product_name,omitempty"`
	Quantity    int64          `json:"quantity"`
	AmountFen   Fen            `json:"amount_fen"`
	Livestream  *LivestreamRef `json:"livestream,omitempty"`
}

// OrderCreated records that a buyer placed an order (not yet paid: it never
// counts on its own).
type OrderCreated struct {
	Platform  string    `json:"platform"`
	OrderID   string    `json:"order_id"`
	CreatedAt time.Time `json:"created_at"`
}

func (*OrderCreated) Type() EventType        { return TypeOrderCreated }
func (e *OrderCreated) ID() string           { return DeriveEventID(TypeOrderCreated, e.Platform, e.OrderID) }
func (e *OrderCreated) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *OrderCreated) Validate() error {
	return errors.Join(requireOrder(e.Platform, e.OrderID), requireTime("created_at", e.CreatedAt))
}

// OrderPaid records a payment with its goods lines. GMV counts at PaidAt; the
// listing in force at CreatedAt attributes each line.
type OrderPaid struct {
	Platform  string    `json:"platform"`
	OrderID   string    `json:"order_id"`
	CreatedAt time.Time `json:"created_at"`
	PaidAt    time.Time `json:"paid_at"`
	// BuyerRef is the platform's pseudonymous buyer id (open id), if any.
	BuyerRef string     `json:"buyer_ref,omitempty"`
	Lines    []PaidLine `json:"lines"`
}

func (*OrderPaid) Type() EventType { return TypeOrderPaid }

// ID derives from the order and its line ids, so a re-sent payment maps to the
// same id while an export that pays an order's lines in separate rows gives
// one event per line (lines are deduplicated again by the projector).
func (e *OrderPaid) ID() string {
	parts := []string{e.Platform, e.OrderID}
	for _, l := range e.Lines {
		parts = append(parts, l.LineID)
	}
	sort.Strings(parts[2:])
	return DeriveEventID(TypeOrderPaid, parts...)
}
func (e *OrderPaid) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *OrderPaid) Validate() error {
	errs := []error{requireOrder(e.Platform, e.OrderID), requireTime("created_at", e.CreatedAt), requireTime("paid_at", e.PaidAt)}
	if len(e.Lines) == 0 {
		errs = append(errs, errors.New("paid order has no lines"))
	}
	seen := map[string]bool{}
	for i, l := range e.Lines {
		if l.LineID == "" {
			errs = append(errs, fmt.Errorf("line %d: line_id is empty", i))
		}
		if seen[l.LineID] {
			errs = append(errs, fmt.Errorf("line %d: line_id %s repeats", i, l.LineID))
		}
		seen[l.LineID] = true
		if l.SKUID == "" {
			errs = append(errs, fmt.Errorf("line %s: sku_id is empty", l.LineID))
		}
		if l.AmountFen < 0 {
			errs = append(errs, fmt.Errorf("line %s: amount_fen is negative (%d)", l.LineID, l.AmountFen))
		}
		if l.Quantity < 0 {
			errs = append(errs, fmt.Errorf("line %s: quantity is negative (%d)", l.LineID, l.Quantity))
		}
	}
	return errors.Join(errs...)
}

// OrderShipped records shipment; it does not change any figure.
type OrderShipped struct {
	Platform  string    `json:"platform"`
	OrderID   string    `json:"order_id"`
	ShippedAt time.Time `json:"shipped_at"`
}

func (*OrderShipped) Type() EventType        { return TypeOrderShipped }
func (e *OrderShipped) ID() string           { return DeriveEventID(TypeOrderShipped, e.Platform, e.OrderID) }
func (e *OrderShipped) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *OrderShipped) Validate() error {
	return errors.Join(requireOrder(e.Platform, e.OrderID), requireTime("shipped_at", e.ShippedAt))
}

// OrderCompleted records that the buyer received the order; it does not change any figure.
type OrderCompleted struct {
	Platform    string    `json:"platform"`
	OrderID     string    `json:"order_id"`
	CompletedAt time.Time `json:"completed_at"`
}

func (*OrderCompleted) Type() EventType        { return TypeOrderCompleted }
func (e *OrderCompleted) ID() string           { return DeriveEventID(TypeOrderCompleted, e.Platform, e.OrderID) }
func (e *OrderCompleted) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *OrderCompleted) Validate() error {
	return errors.Join(requireOrder(e.Platform, e.OrderID), requireTime("completed_at", e.CompletedAt))
}

// CancelledLine is a line of a cancelled order and the amount paid for it.
type CancelledLine struct {
	LineID    string `json:"line_id"`
	AmountFen Fen    `json:"amount_fen"`
}

// OrderCancelled records a cancellation. After payment (WasPaid) it is a full
// refund of every line at CancelledAt; before payment it changes nothing.
type OrderCancelled struct {
	Platform    string          `json:"platform"`
	OrderID     string          `json:"order_id"`
	CancelledAt time.Time       `json:"cancelled_at"`
	WasPaid     bool            `json:"was_paid"`
	Lines       []CancelledLine `json:"lines,omitempty"`
}

func (*OrderCancelled) Type() EventType        { return TypeOrderCancelled }
func (e *OrderCancelled) ID() string           { return DeriveEventID(TypeOrderCancelled, e.Platform, e.OrderID) }
func (e *OrderCancelled) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *OrderCancelled) Validate() error {
	errs := []error{requireOrder(e.Platform, e.OrderID), requireTime("cancelled_at", e.CancelledAt)}
	if e.WasPaid && len(e.Lines) == 0 {
		errs = append(errs, errors.New("a paid order was cancelled but no lines are given to refund"))
	}
	for _, l := range e.Lines {
		if l.LineID == "" || l.AmountFen < 0 {
			errs = append(errs, fmt.Errorf("cancelled line %q has amount %d", l.LineID, l.AmountFen))
		}
	}
	return errors.Join(errs...)
}

// RefundID is the id under which a cancellation refunds one line.
func (e *OrderCancelled) RefundID(lineID string) string { return e.ID() + "/" + lineID }

// RefundSucceeded records money returned to the buyer for one line.
type RefundSucceeded struct {
	Platform string `json:"platform"`
	OrderID  string `json:"order_id"`
	LineID   string `json:"line_id"`
	// RefundID is the platform's own refund (after-sale) id.
	RefundID   string    `json:"refund_id"`
	AmountFen  Fen       `json:"amount_fen"`
	RefundedAt time.Time `json:"refunded_at"`
}

func (*RefundSucceeded) Type() EventType { return TypeRefundSucceeded }
func (e *RefundSucceeded) ID() string {
	return DeriveEventID(TypeRefundSucceeded, e.Platform, e.OrderID, e.RefundID)
}
func (e *RefundSucceeded) PartitionKey() string { return OrderKey(e.Platform, e.OrderID) }
func (e *RefundSucceeded) Validate() error {
	errs := []error{requireOrder(e.Platform, e.OrderID), requireTime("refunded_at", e.RefundedAt)}
	if e.LineID == "" {
		errs = append(errs, errors.New("line_id is empty"))
	}
	if e.RefundID == "" {
		errs = append(errs, errors.New("refund_id is empty"))
	}
	if e.AmountFen <= 0 {
		errs = append(errs, fmt.Errorf("refund amount_fen is %d, must be positive", e.AmountFen))
	}
	return errors.Join(errs...)
}

// ---- income

// Income kinds recorded from enterprises' ledgers (income.go gives each
// its category and the Chinese names ledgers write).
const (
	IncomeProcurement = "procurement" // 收购款: operating
	IncomeWage        = "wage"        // 务工, 工资: wage
	IncomeDividend    = "dividend"    // 分红: property
	IncomeRent        = "rent"        // 租金, 土地流转: property
	IncomeSubsidy     = "subsidy"     // 补贴: transfer
)

// IncomeRecorded is money an enterprise paid straight to a household.
type IncomeRecorded struct {
	HouseholdID  string    `json:"household_id"`
	Kind         string    `json:"kind"`
	AmountFen    Fen       `json:"amount_fen"`
	EnterpriseID string    `json:"enterprise_id"`
	OccurredAt   time.Time `json:"occurred_at"`
	// Reference is the enterprise's own voucher number; with the enterprise it
	// identifies the payment, so importing a ledger twice counts it once.
	Reference string `json:"reference"`
}

func (*IncomeRecorded) Type() EventType { return TypeIncomeRecorded }
func (e *IncomeRecorded) ID() string {
	return DeriveEventID(TypeIncomeRecorded, e.EnterpriseID, e.Reference, e.HouseholdID)
}
func (e *IncomeRecorded) PartitionKey() string { return "income/" + e.HouseholdID }
func (e *IncomeRecorded) Validate() error {
	var errs []error
	if e.HouseholdID == "" {
		errs = append(errs, errors.New("household_id is empty"))
	}
	if _, ok := IncomeCategoryOf(e.Kind); !ok {
		errs = append(errs, fmt.Errorf("kind %q is not one of %s", e.Kind, strings.Join(IncomeKinds(), ", ")))
	}
	if e.AmountFen <= 0 {
		errs = append(errs, fmt.Errorf("amount is %s yuan, must be positive", e.AmountFen))
	}
	if e.Reference == "" {
		errs = append(errs, errors.New("reference is empty"))
	}
	errs = append(errs, requireTime("occurred_at", e.OccurredAt))
	return errors.Join(errs...)
}

func requireOrder(platform, orderID string) error {
	var errs []error
	if platform == "" {
		errs = append(errs, errors.New("platform is empty"))
	}
	if orderID == "" {
		errs = append(errs, errors.New("order_id is empty"))
	}
	return errors.Join(errs...)
}

func requireTime(name string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("%s is missing", name)
	}
	return nil
}
