package projections

import (
	"context"

	"github.com/loquat-dev/loquat/domain"
)

// readerKey carries a request's Reader in its context.
type readerKey struct{}

// WithReader returns a context whose reads go to r instead of the live read
// model: an as-of answer (the API's as_of) is composed by the same Queries
// from a read model of the log as it stood then.
func WithReader(ctx context.Context, r Reader) context.Context {
	return context.WithValue(ctx, readerKey{}, r)
}

// RoutedReader returns a Reader that reads from the Reader a request's
// context carries (WithReader), or else from live. Queries over it answer
// every endpoint as of any moment without a parameter of their own.
func RoutedReader(live Reader) Reader { return routed{live} }

// routed forwards each method explicitly (no embedding): a method added to
// Reader and not forwarded here is a compile error, never a live answer
// served as an as-of one.
type routed struct{ live Reader }

func (r routed) pick(ctx context.Context) Reader {
	if other, ok := ctx.Value(readerKey{}).(Reader); ok && other != nil {
		return other
	}
	return r.live
}

func (r routed) Registry(ctx context.Context) (*domain.Registry, error) {
	return r.pick(ctx).Registry(ctx)
}

func (r routed) Sales(ctx context.Context, q SalesQuery) ([]SalesRow, error) {
	return r.pick(ctx).Sales(ctx, q)
}

func (r routed) Orders(ctx context.Context, q SalesQuery) ([]OrderRow, error) {
	return r.pick(ctx).Orders(ctx, q)
}

func (r routed) Income(ctx context.Context, p Period) (map[string]domain.Fen, error) {
	return r.pick(ctx).Income(ctx, p)
}

func (r routed) IncomeByKind(ctx context.Context, p Period, householdID string) ([]IncomeRow, error) {
	return r.pick(ctx).IncomeByKind(ctx, p, householdID)
}

func (r routed) HouseholdLedger(ctx context.Context, householdID string, p Period) ([]LedgerRow, error) {
	return r.pick(ctx).HouseholdLedger(ctx, householdID, p)
}

func (r routed) HouseholdIncome(ctx context.Context, householdID string, p Period) ([]IncomeRecord, error) {
	return r.pick(ctx).HouseholdIncome(ctx, householdID, p)
}

func (r routed) LivestreamMinutes(ctx context.Context, livestreamID string) ([]MinuteRow, error) {
	return r.pick(ctx).LivestreamMinutes(ctx, livestreamID)
}

func (r routed) Livestreams(ctx context.Context) ([]LivestreamInfo, error) {
	return r.pick(ctx).Livestreams(ctx)
}

func (r routed) LivestreamSales(ctx context.Context, p Period, enterpriseID string) ([]LivestreamSalesRow, error) {
	return r.pick(ctx).LivestreamSales(ctx, p, enterpriseID)
}

func (r routed) UnattributedSKUs(ctx context.Context, p Period) ([]UnattributedSKU, error) {
	return r.pick(ctx).UnattributedSKUs(ctx, p)
}

func (r routed) DeadLetters(ctx context.Context, limit, offset int) ([]domain.DeadLetter, int, error) {
	return r.pick(ctx).DeadLetters(ctx, limit, offset)
}

func (r routed) Conflicts(ctx context.Context, limit, offset int) ([]domain.Conflict, int, error) {
	return r.pick(ctx).Conflicts(ctx, limit, offset)
}

func (r routed) Corrections(ctx context.Context, f CorrectionFilter) ([]CorrectionRecord, error) {
	return r.pick(ctx).Corrections(ctx, f)
}

func (r routed) Ping(ctx context.Context) error { return r.pick(ctx).Ping(ctx) }

// SnapshotHeld forwards the optional SnapshotChecker of the Reader the
// request reads (a store without one always holds).
func (r routed) SnapshotHeld(ctx context.Context, answerErr error) bool {
	if c, ok := r.pick(ctx).(SnapshotChecker); ok {
		return c.SnapshotHeld(ctx, answerErr)
	}
	return true
}
