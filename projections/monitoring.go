package projections

import (
	"context"
	"fmt"
	"slices"

	"github.com/loquat-dev/loquat/domain"
)

// MonitoringQuery selects the monitoring list (防返贫监测).
type MonitoringQuery struct {
	// To is the day the list is as at (YYYY-MM-DD); empty: today, China time.
	To string
	// VillageID, Reason (one of domain.MonitoringReasons) and Category (a
	// household category such as 监测户) filter when not empty.
	VillageID string
	Reason    string
	Category  string
	Paging
}

// MonitoringItem is one monitored household and why.
type MonitoringItem struct {
	HouseholdID       string     `json:"household_id"`
	VillageID         string     `json:"village_id"`
	Category          string     `json:"category"`
	Members           int64      `json:"members"`
	BaselineIncomeFen domain.Fen `json:"baseline_income_fen"`
	// TrailingIncomeFen is the programme income of the 365 days ending on
	// the day; PriorIncomeFen that of the 365 days before them.
	TrailingIncomeFen  domain.Fen `json:"trailing_365d_income_fen"`
	PriorIncomeFen     domain.Fen `json:"prior_365d_income_fen"`
	PerCapitaIncomeFen domain.Fen `json:"per_capita_income_fen"`
	MonitoringLineFen  domain.Fen `json:"monitoring_line_fen"`
	// Reasons are domain.MonitoringReasons codes, at least one.
	Reasons []string `json:"reasons"`
}

// MonitoringList answers GET /api/v1/monitoring: a page of the monitored
// households, the day it is as at and the thresholds it was made with.
type MonitoringList struct {
	Page[MonitoringItem]
	AsAt        string `json:"as_at"`
	NearLinePct int64  `json:"near_line_pct"`
	DropPct     int64  `json:"drop_pct"`
}

// Monitoring lists the households the monitoring rule flags as at a day,
// in id order.
func (q *Queries) Monitoring(ctx context.Context, mq MonitoringQuery) (MonitoringList, error) {
	return answer(ctx, q, func(ctx context.Context) (MonitoringList, error) { return q.monitoringOnce(ctx, mq) })
}

// ScopedMonitoring answers the monitoring list for All, and for a village
// its own households (another village_id answers 404); an enterprise never
// sees a household's monitoring status.
func (q *Queries) ScopedMonitoring(ctx context.Context, s Scope, mq MonitoringQuery) (MonitoringList, error) {
	switch {
	case s.All:
		return q.Monitoring(ctx, mq)
	case s.VillageID != "":
		if mq.VillageID != "" && mq.VillageID != s.VillageID {
			return MonitoringList{}, fmt.Errorf("village %q: %w", mq.VillageID, ErrNotFound)
		}
		mq.VillageID = s.VillageID
		return q.Monitoring(ctx, mq)
	}
	return MonitoringList{}, forbidden("the monitoring list (households' monitoring status)")
}

func (q *Queries) monitoringOnce(ctx context.Context, mq MonitoringQuery) (MonitoringList, error) {
	if err := refuseSort("monitoring", mq.Paging); err != nil {
		return MonitoringList{}, err
	}
	if mq.Reason != "" && !slices.Contains(domain.MonitoringReasons(), mq.Reason) {
		return MonitoringList{}, fmt.Errorf("%w: reason=%q is not one of %v", ErrBadRequest, mq.Reason, domain.MonitoringReasons())
	}
	th := q.MonitoringThresholds.WithDefaults()
	if err := th.Validate(); err != nil {
		return MonitoringList{}, fmt.Errorf("monitoring thresholds: %w", err)
	}
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return MonitoringList{}, err
	}
	if mq.VillageID != "" {
		if _, ok := reg.Villages[mq.VillageID]; !ok {
			return MonitoringList{}, fmt.Errorf("village %q: %w", mq.VillageID, ErrNotFound)
		}
	}
	trailing, _, err := q.trailingYear(Period{To: mq.To})
	if err != nil {
		return MonitoringList{}, err
	}
	prior, err := yearBefore(trailing)
	if err != nil {
		return MonitoringList{}, err
	}
	// Over the trailing year itself, householdFigures' trailing income and
	// per-capita income are the day's.
	figures, err := q.householdFigures(ctx, reg, trailing, "")
	if err != nil {
		return MonitoringList{}, err
	}
	priorSales, err := q.householdNet(ctx, SalesQuery{Period: prior})
	if err != nil {
		return MonitoringList{}, err
	}
	priorIncome, err := q.Store.Income(ctx, prior)
	if err != nil {
		return MonitoringList{}, err
	}
	items := []MonitoringItem{}
	for _, f := range figures {
		if (mq.VillageID != "" && f.VillageID != mq.VillageID) || (mq.Category != "" && f.Category != mq.Category) {
			continue
		}
		it := MonitoringItem{HouseholdID: f.HouseholdID, VillageID: f.VillageID, Category: f.Category, Members: f.Members,
			BaselineIncomeFen: f.BaselineIncomeFen, TrailingIncomeFen: f.TrailingIncomeFen,
			PriorIncomeFen:     priorSales[f.HouseholdID] + priorIncome[f.HouseholdID],
			PerCapitaIncomeFen: f.PerCapitaIncomeFen, MonitoringLineFen: f.MonitoringLineFen}
		it.Reasons = domain.MonitoringReasonsFor(domain.MonitoringFigures{PerCapitaIncomeFen: it.PerCapitaIncomeFen,
			LineFen: it.MonitoringLineFen, TrailingIncomeFen: it.TrailingIncomeFen, PriorIncomeFen: it.PriorIncomeFen}, th)
		if len(it.Reasons) == 0 || (mq.Reason != "" && !slices.Contains(it.Reasons, mq.Reason)) {
			continue
		}
		items = append(items, it)
	}
	return MonitoringList{Page: page(items, mq.Paging), AsAt: trailing.To, NearLinePct: th.NearLinePct, DropPct: th.DropPct}, nil
}

// yearBefore is the 365 days before a trailing year.
func yearBefore(trailing Period) (Period, error) {
	from, err := domain.ParseDay(trailing.From)
	if err != nil {
		return Period{}, err
	}
	return Period{From: domain.Day(from.AddDate(0, 0, -365)), To: domain.Day(from.AddDate(0, 0, -1))}, nil
}
