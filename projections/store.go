// Package projections turns the event log into the read model: the Projector
// (a Watermill handler) attributes every paid line and refund and writes
// batches to a Store; Queries composes the API's answers from a Store's
// aggregates. Each store (sqlite, clickhouse) lives in its own package and
// passes the same conformance suite (storetest), so both answer alike.
package projections

import (
	"context"
	"errors"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// ErrNotFound is returned for an unknown id.
var ErrNotFound = errors.New("not found")

// Store is a read-model store: what the projector writes and the queries read.
type Store interface {
	Writer
	Reader
	Close() error
}

// Writer is the projector's side of a store.
type Writer interface {
	// Checkpoint returns the consumer's positions as of its last committed
	// batch (empty when nothing was committed).
	Checkpoint(ctx context.Context, consumer string) (eventlog.Positions, error)
	// LoadRegistry rebuilds the registry from the stored registry tables.
	LoadRegistry(ctx context.Context) (*domain.Registry, error)
	// LoadLines returns the stored state of every line of the given orders.
	LoadLines(ctx context.Context, orders []OrderRef) ([]domain.LineState, error)
	// KnownIncome returns the stored income records among the event ids,
	// by id: a record again with other content is a conflict.
	KnownIncome(ctx context.Context, ids []string) (map[string]domain.IncomeRecorded, error)
	// Commit writes a batch and the consumer's new positions atomically: after
	// a crash either all of it is there or none of it.
	Commit(ctx context.Context, b *Batch) error
	// PutDeadLetters stores dead letters; storing one twice keeps one.
	PutDeadLetters(ctx context.Context, dls []domain.DeadLetter) error
}

// What only some stores need is an optional capability: a named one-method
// interface the projector discovers by type assertion where it uses it, so
// a store implements only what it needs and the projector computes only
// for the stores that ask.

// OrderChangesNeeder is a store whose Commit reads Batch.Orders (it keeps
// order counts aggregated as it writes); the projector works them out only
// for a store that implements it and says true.
type OrderChangesNeeder interface {
	NeedsOrderChanges() bool
}

// BatchingPreferrer is a store with a preferred shape of the projector's
// commits; a ProjectorConfig that sets MaxBatch or Pipeline overrides it.
// A store that is not one gets the projector's defaults.
type BatchingPreferrer interface {
	Batching() Batching
}

// WritesPreparer is a store that readies itself for writes at start-up
// (ClickHouse: it removes what an unfinished commit left, a query per
// table). NewProjector calls it before the first batch waits on it; a
// failure is only logged, since Commit does the same and is retried.
type WritesPreparer interface {
	PrepareWrites(ctx context.Context) error
}

// Batching is a store's preferred shape of the projector's commits.
type Batching struct {
	// MaxBatch is the most events one commit should take; 0 leaves the
	// projector's default (5000).
	MaxBatch int
	// Pipeline asks the projector to prepare the next batch while one
	// commits. It pays off when a commit is mostly a store server's time
	// (ClickHouse); a store that commits in this process (SQLite) gains
	// nothing from it and gets larger commits from a saturated projector.
	Pipeline bool
}

// OrderRef names one platform order.
type OrderRef struct {
	Platform string
	OrderID  string
}

// Batch is what one projector step writes.
type Batch struct {
	Consumer  string
	Positions eventlog.Positions
	// Registry holds registry events to upsert, in log order.
	Registry []domain.Event
	Lines    []LineChange
	// Orders are the changes of Lines again, order by order, for a store
	// that keeps order counts aggregated as it writes (ClickHouse); empty
	// unless the store is an OrderChangesNeeder that needs them.
	Orders []OrderChange
	Income []IncomeRecord
	// Conflicts are the batch's rejected versions (see domain.Conflict);
	// storing one already stored (same ID) keeps the first.
	Conflicts []domain.Conflict
	// Corrections are the batch's applied corrections (corrections.go);
	// storing one already stored (same ID) keeps the first. What they
	// change is in Lines and Income like any other change.
	Corrections []CorrectionRecord
}

// OrderChange is how a batch changes one order: the live entries of all of
// the order's lines before and after it, one row per entry (the party
// fields of the first share; the entry's other fields are the same for
// every share). Counting an order per group is counting whether it has a
// live entry in the group, which needs all of its lines, not only the
// lines the batch changed.
type OrderChange struct {
	Platform string
	OrderID  string
	Before   []LedgerRow
	After    []LedgerRow
}

// Empty reports whether the batch writes nothing but positions.
func (b *Batch) Empty() bool {
	return len(b.Registry) == 0 && len(b.Lines) == 0 && len(b.Income) == 0 && len(b.Conflicts) == 0 && len(b.Corrections) == 0
}

// LineChange replaces a line's state and the ledger rows of the entries that
// changed: Retract are rows previously written (to subtract from rollups and
// delete), Add are rows to insert.
type LineChange struct {
	State   domain.LineState
	Retract []LedgerRow
	Add     []LedgerRow
}

// LedgerRow is one party's share of one ledger entry (a paid line or a refund).
type LedgerRow struct {
	EntryID  string
	Kind     domain.EntryKind
	At       time.Time
	Platform string
	OrderID  string
	LineID   string
	SKUID    string
	// Product is the listing's product (e.g. "loquat"), or for an
	// unattributed line the platform's product name.
	Product      string
	EnterpriseID string
	VillageID    string
	LivestreamID string
	AnchorName   string
	BuyerRef     string
	PartyKind    domain.PartyKind
	PartyID      string
	// AmountFen is signed: positive for a sale share, negative for a refund share.
	AmountFen domain.Fen
}

// IncomeRecord is a recorded-income event with its id.
type IncomeRecord struct {
	EventID string
	domain.IncomeRecorded
}

// Reader is the query side of a store: aggregates the API composes.
type Reader interface {
	Registry(ctx context.Context) (*domain.Registry, error)
	// Sales sums the ledger by the query's dimensions.
	Sales(ctx context.Context, q SalesQuery) ([]SalesRow, error)
	// Orders counts distinct orders (paid, refunded) and buyers by dimensions.
	Orders(ctx context.Context, q SalesQuery) ([]OrderRow, error)
	// Income sums recorded income per household in the period.
	Income(ctx context.Context, p Period) (map[string]domain.Fen, error)
	// IncomeByKind sums recorded income per household and kind in the
	// period (of one household when householdID is not empty), in
	// household and kind order.
	IncomeByKind(ctx context.Context, p Period, householdID string) ([]IncomeRow, error)
	// HouseholdLedger returns the household's live shares of ledger entries
	// (party_kind household, party_id id) whose China-time day is in the
	// period, ordered by time, then platform, order, line and entry: the
	// lines of its statement. A bounded read: the household's shares, not
	// the period's ledger.
	HouseholdLedger(ctx context.Context, householdID string, p Period) ([]LedgerRow, error)
	// HouseholdIncome returns the household's recorded income in the
	// period, each record once, ordered by time, then event id.
	HouseholdIncome(ctx context.Context, householdID string, p Period) ([]IncomeRecord, error)
	// LivestreamMinutes returns a livestream's figures per China-time minute.
	LivestreamMinutes(ctx context.Context, livestreamID string) ([]MinuteRow, error)
	// Livestreams describes every livestream seen (platform, room, anchor).
	Livestreams(ctx context.Context) ([]LivestreamInfo, error)
	// LivestreamSales lists the livestreams with sales or refunds in the
	// period — of one enterprise's listings when enterpriseID is not
	// empty — each described and with its sums there, in id order: the
	// groups of Sales grouped by livestream (a livestream whose money in
	// the period nets to nothing may be listed with zeros), read in one
	// grouped query, so that a list over a week costs the week's
	// livestreams, not every livestream ever seen.
	LivestreamSales(ctx context.Context, p Period, enterpriseID string) ([]LivestreamSalesRow, error)
	// UnattributedSKUs sums unattributed lines by platform SKU.
	UnattributedSKUs(ctx context.Context, p Period) ([]UnattributedSKU, error)
	DeadLetters(ctx context.Context, limit, offset int) ([]domain.DeadLetter, int, error)
	// Conflicts lists the recorded conflicts, newest first (then by id), a
	// conflict recorded twice once, and their total; limit < 0: all.
	Conflicts(ctx context.Context, limit, offset int) ([]domain.Conflict, int, error)
	// Corrections lists the applied corrections the filter selects, in
	// (At, ID) order.
	Corrections(ctx context.Context, f CorrectionFilter) ([]CorrectionRecord, error)
	// Ping checks the store answers.
	Ping(ctx context.Context) error
}

// Period is an inclusive range of China-time dates (YYYY-MM-DD); an empty
// bound is open.
type Period struct {
	From string
	To   string
}

// Dim is a dimension to filter or group sales by.
type Dim string

const (
	DimDay        Dim = "day"
	DimPlatform   Dim = "platform"
	DimProduct    Dim = "product"
	DimEnterprise Dim = "enterprise_id"
	DimVillage    Dim = "village_id"
	DimLivestream Dim = "livestream_id"
	DimPartyKind  Dim = "party_kind"
	DimPartyID    Dim = "party_id"
)

// SalesQuery filters the ledger (empty fields do not filter) and groups it.
type SalesQuery struct {
	Period
	Platform     string
	EnterpriseID string
	VillageID    string
	LivestreamID string
	PartyKind    domain.PartyKind
	PartyID      string
	GroupBy      []Dim
	// WithRefunded and WithBuyers ask Orders for RefundedOrders and Buyers;
	// a store may leave them 0 when not asked (counting them can cost it a
	// scan of the period's entries), or fill them anyway.
	WithRefunded bool
	WithBuyers   bool
}

// SalesRow is one group of a SalesQuery; dimensions not grouped are empty.
type SalesRow struct {
	Day          string
	Platform     string
	Product      string
	EnterpriseID string
	VillageID    string
	LivestreamID string
	PartyKind    domain.PartyKind
	PartyID      string
	SalesFen     domain.Fen // paid amounts, positive
	RefundsFen   domain.Fen // refunded amounts, positive
}

// OrderRow counts distinct orders in one group of a SalesQuery (party
// filters are ignored: orders are counted per line, not per share).
type OrderRow struct {
	Day            string
	Platform       string
	EnterpriseID   string
	VillageID      string
	LivestreamID   string
	Orders         int64 // orders with a payment in the period
	RefundedOrders int64 // orders with a refund in the period
	Buyers         int64 // distinct buyers of paid orders (an order without a buyer id counts as one)
}

// IncomeRow is one household's recorded income of one kind.
type IncomeRow struct {
	HouseholdID string
	Kind        string
	AmountFen   domain.Fen
}

// MinuteRow is a livestream's figures in one China-time minute.
type MinuteRow struct {
	Minute     string // YYYY-MM-DDTHH:MM, China time
	Orders     int64
	SalesFen   domain.Fen
	RefundsFen domain.Fen
}

// LivestreamInfo describes a livestream.
type LivestreamInfo struct {
	ID         string
	Platform   string
	RoomID     string
	AnchorName string
}

// LivestreamSalesRow is one livestream's sums in a period.
type LivestreamSalesRow struct {
	LivestreamInfo
	SalesFen   domain.Fen
	RefundsFen domain.Fen
}

// UnattributedSKU sums the lines of one platform SKU that no listing covered.
type UnattributedSKU struct {
	Platform    string
	SKUID       string
	ProductName string
	Lines       int64
	SalesFen    domain.Fen
	RefundsFen  domain.Fen
	FirstAt     time.Time
	LastAt      time.Time
}
