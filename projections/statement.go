package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Statement answers GET /api/v1/households/{id}/statement: every fen of a
// household's programme income in the period, line by line, with the
// totals that the household endpoint gives for the same period.
type Statement struct {
	HouseholdID string     `json:"household_id"`
	VillageID   string     `json:"village_id"`
	Category    string     `json:"category"`
	Period      PeriodJSON `json:"period"`
	// Lines are the household's shares of order lines (sales positive,
	// refunds negative) in time order.
	Lines []StatementLine `json:"lines"`
	// Income are its recorded income records in time order.
	Income []StatementIncome `json:"income"`
	// The totals, summed from Lines and Income.
	AttributedSalesFen domain.Fen              `json:"attributed_sales_fen"`
	RecordedIncomeFen  domain.Fen              `json:"recorded_income_fen"`
	IncomeGainFen      domain.Fen              `json:"income_gain_fen"`
	IncomeByCategory   domain.IncomeByCategory `json:"income_by_category"`
	// Per-capita income and the line in force, as the household endpoint
	// gives them (over the 365 days ending on the period's last day, or
	// today; see HouseholdSummary).
	Members             int64      `json:"members"`
	BaselineIncomeFen   domain.Fen `json:"baseline_income_fen"`
	TrailingIncomeFen   domain.Fen `json:"trailing_365d_income_fen"`
	PerCapitaIncomeFen  domain.Fen `json:"per_capita_income_fen"`
	MonitoringLineFen   domain.Fen `json:"monitoring_line_fen"`
	BelowMonitoringLine bool       `json:"below_monitoring_line"`
	// Corrections are every correction that moved the household's figures
	// (a line its listing shares, an income record of its), whatever the
	// period, in time order: the lines and income above already count
	// them; these say who changed what, when and why.
	Corrections []StatementCorrection `json:"corrections"`
}

// StatementCorrection is one correction behind a statement's figures.
type StatementCorrection struct {
	ID     string                  `json:"id"`
	At     string                  `json:"at"` // RFC 3339, China time
	Action domain.CorrectionAction `json:"action"`
	// Target is "line:platform/order/line", "income:<event id>" or
	// "conflict:<id>".
	Target   string `json:"target"`
	Operator string `json:"operator"`
	Reason   string `json:"reason"`
	// DeltaFen is how much it changed the target's net money (all of its
	// households' together, for a line).
	DeltaFen domain.Fen `json:"delta_fen"`
}

// StatementLine is the household's share of one ledger entry.
type StatementLine struct {
	At           string           `json:"at"` // RFC 3339, China time
	Kind         domain.EntryKind `json:"kind"`
	Platform     string           `json:"platform"`
	OrderID      string           `json:"order_id"`
	LineID       string           `json:"line_id"`
	Product      string           `json:"product"`
	EnterpriseID string           `json:"enterprise_id"`
	LivestreamID string           `json:"livestream_id,omitempty"`
	AmountFen    domain.Fen       `json:"amount_fen"`
}

// StatementIncome is one recorded income record.
type StatementIncome struct {
	At       string `json:"at"` // RFC 3339, China time
	Kind     string `json:"kind"`
	Category string `json:"category"`
	// PayerID is the enterprise that paid it.
	PayerID   string     `json:"payer_id"`
	Reference string     `json:"reference"`
	AmountFen domain.Fen `json:"amount_fen"`
}

// Statement composes a household's statement for the period.
func (q *Queries) Statement(ctx context.Context, id string, p Period) (Statement, error) {
	return answer(ctx, q, func(ctx context.Context) (Statement, error) { return q.statementOnce(ctx, id, p) })
}

// ScopedStatement answers a statement for All and for the household's
// village; anything else answers as for an unknown household (an
// enterprise never sees a household's other income).
func (q *Queries) ScopedStatement(ctx context.Context, s Scope, id string, p Period) (Statement, error) {
	switch {
	case s.All:
		return q.Statement(ctx, id, p)
	case s.VillageID != "":
		st, err := q.Statement(ctx, id, p)
		if err == nil && st.VillageID != s.VillageID {
			return Statement{}, fmt.Errorf("household %q: %w", id, ErrNotFound)
		}
		return st, err
	case s.EnterpriseID != "":
		return Statement{}, fmt.Errorf("household %q: %w", id, ErrNotFound)
	}
	return Statement{}, forbidden("households")
}

func (q *Queries) statementOnce(ctx context.Context, id string, p Period) (Statement, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return Statement{}, err
	}
	if _, ok := reg.Households[id]; !ok {
		return Statement{}, fmt.Errorf("household %q: %w", id, ErrNotFound)
	}
	figures, err := q.householdFigures(ctx, reg, p, id)
	if err != nil {
		return Statement{}, err
	}
	f := figures[0]
	st := Statement{
		HouseholdID: id, VillageID: f.VillageID, Category: f.Category, Period: PeriodJSON(p),
		Lines: []StatementLine{}, Income: []StatementIncome{},
		Members: f.Members, BaselineIncomeFen: f.BaselineIncomeFen, TrailingIncomeFen: f.TrailingIncomeFen,
		PerCapitaIncomeFen: f.PerCapitaIncomeFen, MonitoringLineFen: f.MonitoringLineFen, BelowMonitoringLine: f.BelowMonitoringLine,
	}
	shares, err := q.Store.HouseholdLedger(ctx, id, p)
	if err != nil {
		return Statement{}, err
	}
	for _, r := range shares {
		st.Lines = append(st.Lines, StatementLine{At: r.At.In(domain.ChinaTime).Format(time.RFC3339), Kind: r.Kind,
			Platform: r.Platform, OrderID: r.OrderID, LineID: r.LineID, Product: r.Product, EnterpriseID: r.EnterpriseID,
			LivestreamID: r.LivestreamID, AmountFen: r.AmountFen})
		st.AttributedSalesFen += r.AmountFen
	}
	st.IncomeByCategory.OperatingFen = st.AttributedSalesFen
	records, err := q.Store.HouseholdIncome(ctx, id, p)
	if err != nil {
		return Statement{}, err
	}
	for _, r := range records {
		category, ok := domain.IncomeCategoryOf(r.Kind)
		if !ok || !st.IncomeByCategory.Add(category, r.AmountFen) {
			return Statement{}, fmt.Errorf("household %s: income of kind %q, which this build does not know: upgrade loquat", id, r.Kind)
		}
		st.Income = append(st.Income, StatementIncome{At: r.OccurredAt.In(domain.ChinaTime).Format(time.RFC3339), Kind: r.Kind,
			Category: category, PayerID: r.EnterpriseID, Reference: r.Reference, AmountFen: r.AmountFen})
		st.RecordedIncomeFen += r.AmountFen
	}
	st.IncomeGainFen = st.AttributedSalesFen + st.RecordedIncomeFen
	corrections, err := q.Store.Corrections(ctx, CorrectionFilter{HouseholdID: id})
	if err != nil {
		return Statement{}, err
	}
	st.Corrections = make([]StatementCorrection, 0, len(corrections))
	for _, c := range corrections {
		st.Corrections = append(st.Corrections, StatementCorrection{ID: c.ID, At: c.At.In(domain.ChinaTime).Format(time.RFC3339),
			Action: c.Action, Target: c.TargetKey, Operator: c.Operator, Reason: c.Reason, DeltaFen: c.DeltaFen})
	}
	return st, nil
}
