package projections

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/loquat-dev/loquat/domain"
)

// Queries composes the API's answers from a store's aggregates. The
// composition is shared, so every store gives the same answers as long as its
// aggregates agree (checked by the storetest suite).
type Queries struct {
	Store Reader
	// Now gives "today" for periods without an end. Default time.Now.
	Now func() time.Time
	// MonitoringThresholds are the monitoring list's thresholds; zero fields take
	// their defaults (domain.MonitoringThresholds).
	MonitoringThresholds domain.MonitoringThresholds
	// SessionGap splits a livestream into sessions (domain.Sessions).
	// Default domain.DefaultSessionGap.
	SessionGap time.Duration
}

// ErrBadRequest wraps problems with the caller's parameters.
var ErrBadRequest = errors.New("bad request")

func (q *Queries) now() time.Time {
	if q.Now != nil {
		return q.Now()
	}
	return time.Now()
}

// Paging is a page request of a list endpoint: which rows, in which order.
type Paging struct {
	Limit  int
	Offset int
	// Sort orders the list by one of its sort keys (HouseholdSortKeys,
	// EnterpriseSortKeys, VillageSortKeys, LivestreamSortKeys), prefixed
	// with "-" for descending; empty sorts by id. Rows with equal keys are
	// in id order, so pages never overlap. Lists without sort keys refuse
	// a Sort.
	Sort string
}

func page[T any](items []T, p Paging) Page[T] {
	total := len(items)
	start := min(p.Offset, total)
	end := min(start+p.Limit, total)
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return Page[T]{Items: out, Total: total}
}

// Overview sums everything in the period.
func (q *Queries) Overview(ctx context.Context, p Period) (Overview, error) {
	return answer(ctx, q, func(ctx context.Context) (Overview, error) { return q.overviewOnce(ctx, SalesQuery{Period: p}) })
}

// overviewOnce sums the sales under filter (its period, and for a scoped
// overview its enterprise or village) by platform and day.
func (q *Queries) overviewOnce(ctx context.Context, filter SalesQuery) (Overview, error) {
	p := filter.Period
	out := Overview{Period: PeriodJSON(p), ByPlatform: []PlatformFigs{}, ByDay: []DayFigs{}}
	only := func(groupBy ...Dim) SalesQuery {
		f := filter
		f.GroupBy = groupBy
		return f
	}
	byPlatformKind, err := q.Store.Sales(ctx, only(DimPlatform, DimPartyKind))
	if err != nil {
		return out, err
	}
	platforms := map[string]*PlatformFigs{}
	for _, r := range byPlatformKind {
		out.add(r.SalesFen, r.RefundsFen)
		if r.PartyKind == domain.PartyUnattributed {
			out.UnattributedFen += r.SalesFen - r.RefundsFen
		}
		f := platforms[r.Platform]
		if f == nil {
			f = &PlatformFigs{Platform: r.Platform}
			platforms[r.Platform] = f
		}
		f.add(r.SalesFen, r.RefundsFen)
	}
	orders, err := q.Store.Orders(ctx, only(DimPlatform))
	if err != nil {
		return out, err
	}
	for _, o := range orders {
		if f := platforms[o.Platform]; f != nil {
			f.Orders = o.Orders
		}
	}
	totalQuery := only()
	totalQuery.WithRefunded = true
	total, err := q.Store.Orders(ctx, totalQuery)
	if err != nil {
		return out, err
	}
	if len(total) == 1 {
		out.Orders, out.RefundedOrders = total[0].Orders, total[0].RefundedOrders
	}
	for _, f := range platforms {
		out.ByPlatform = append(out.ByPlatform, *f)
	}
	slices.SortFunc(out.ByPlatform, func(a, b PlatformFigs) int { return cmp.Compare(a.Platform, b.Platform) })

	out.ByDay, err = q.byDay(ctx, only())
	if err != nil {
		return out, err
	}
	reached, err := q.householdNet(ctx, only())
	if err != nil {
		return out, err
	}
	out.HouseholdsReached = domain.CountReached(reached)
	return out, nil
}

func (q *Queries) byDay(ctx context.Context, filter SalesQuery) ([]DayFigs, error) {
	filter.GroupBy = []Dim{DimDay}
	sales, err := q.Store.Sales(ctx, filter)
	if err != nil {
		return nil, err
	}
	orders, err := q.Store.Orders(ctx, SalesQuery{Period: filter.Period, Platform: filter.Platform, EnterpriseID: filter.EnterpriseID,
		VillageID: filter.VillageID, LivestreamID: filter.LivestreamID, GroupBy: []Dim{DimDay}})
	if err != nil {
		return nil, err
	}
	perDay := map[string]int64{}
	for _, o := range orders {
		perDay[o.Day] = o.Orders
	}
	out := []DayFigs{}
	for _, s := range sales {
		out = append(out, DayFigs{Date: s.Day, Money: money(s.SalesFen, s.RefundsFen), Orders: perDay[s.Day]})
	}
	return out, nil
}

// householdNet returns each household's attributed net sales under filter.
func (q *Queries) householdNet(ctx context.Context, filter SalesQuery) (map[string]domain.Fen, error) {
	filter.PartyKind = domain.PartyHousehold
	filter.GroupBy = []Dim{DimPartyID}
	rows, err := q.Store.Sales(ctx, filter)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.Fen, len(rows))
	for _, r := range rows {
		out[r.PartyID] += r.SalesFen - r.RefundsFen
	}
	return out, nil
}

// trailingYear is the 365 China-time days ending on the period's last day
// (or today), and the year of that day: per-capita income is of the
// household as in force on that day, against that year's line.
func (q *Queries) trailingYear(p Period) (Period, int, error) {
	end := p.To
	if end == "" {
		end = domain.Day(q.now())
	}
	t, err := domain.ParseDay(end)
	if err != nil {
		return Period{}, 0, fmt.Errorf("%w: %v", ErrBadRequest, err)
	}
	return Period{From: domain.Day(t.AddDate(0, 0, -364)), To: end}, t.Year(), nil
}

// incomeByCategory sums the recorded income of the period per household
// and category.
func (q *Queries) incomeByCategory(ctx context.Context, p Period, only string) (map[string]*domain.IncomeByCategory, error) {
	rows, err := q.Store.IncomeByKind(ctx, p, only)
	if err != nil {
		return nil, err
	}
	out := map[string]*domain.IncomeByCategory{}
	for _, r := range rows {
		c := out[r.HouseholdID]
		if c == nil {
			c = &domain.IncomeByCategory{}
			out[r.HouseholdID] = c
		}
		category, _ := domain.IncomeCategoryOf(r.Kind)
		if !c.Add(category, r.AmountFen) {
			// Events are validated before they are stored, so only a read
			// model written by a newer build can hold one.
			return nil, fmt.Errorf("household %s: income of kind %q, which this build does not know: upgrade loquat", r.HouseholdID, r.Kind)
		}
	}
	return out, nil
}

// householdFigures computes the summary in the period (without by_product)
// of every household, or of the one named by only, in id order.
func (q *Queries) householdFigures(ctx context.Context, reg *domain.Registry, p Period, only string) ([]HouseholdSummary, error) {
	trailing, year, err := q.trailingYear(p)
	if err != nil {
		return nil, err
	}
	line := reg.MonitoringLineFor(year)
	sales, err := q.householdNet(ctx, SalesQuery{Period: p, PartyID: only})
	if err != nil {
		return nil, err
	}
	income, err := q.incomeByCategory(ctx, p, only)
	if err != nil {
		return nil, err
	}
	trailingSales, err := q.householdNet(ctx, SalesQuery{Period: trailing, PartyID: only})
	if err != nil {
		return nil, err
	}
	trailingIncome, err := q.Store.Income(ctx, trailing)
	if err != nil {
		return nil, err
	}
	out := make([]HouseholdSummary, 0, len(reg.Households))
	for id := range reg.Households {
		if only != "" && id != only {
			continue
		}
		h, _ := reg.HouseholdOn(id, trailing.To)
		s := HouseholdSummary{
			HouseholdID: h.ID, VillageID: h.VillageID, Category: h.Category, Members: h.Members,
			BaselineIncomeFen:  h.BaselineIncomeFen,
			AttributedSalesFen: sales[h.ID],
			TrailingIncomeFen:  trailingSales[h.ID] + trailingIncome[h.ID],
			MonitoringLineFen:  line,
		}
		if c := income[h.ID]; c != nil {
			s.IncomeByCategory = *c
		}
		s.RecordedIncomeFen = s.IncomeByCategory.Total()
		s.IncomeByCategory.OperatingFen += s.AttributedSalesFen
		s.IncomeGainFen = s.AttributedSalesFen + s.RecordedIncomeFen
		s.PerCapitaIncomeFen = domain.PerCapitaIncome(h.BaselineIncomeFen, s.TrailingIncomeFen, h.Members)
		s.BelowMonitoringLine = s.PerCapitaIncomeFen < line
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b HouseholdSummary) int { return cmp.Compare(a.HouseholdID, b.HouseholdID) })
	return out, nil
}

// Household summarises one household.
func (q *Queries) Household(ctx context.Context, id string, p Period) (HouseholdSummary, error) {
	return answer(ctx, q, func(ctx context.Context) (HouseholdSummary, error) { return q.householdOnce(ctx, id, p) })
}

func (q *Queries) householdOnce(ctx context.Context, id string, p Period) (HouseholdSummary, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return HouseholdSummary{}, err
	}
	if _, ok := reg.Households[id]; !ok {
		return HouseholdSummary{}, fmt.Errorf("household %q: %w", id, ErrNotFound)
	}
	one, err := q.householdFigures(ctx, reg, p, id)
	if err != nil {
		return HouseholdSummary{}, err
	}
	s := one[0]
	rows, err := q.Store.Sales(ctx, SalesQuery{Period: p, PartyKind: domain.PartyHousehold, PartyID: id, GroupBy: []Dim{DimProduct}})
	if err != nil {
		return s, err
	}
	s.ByProduct = []ProductFigs{}
	for _, r := range rows {
		s.ByProduct = append(s.ByProduct, ProductFigs{Product: r.Product, Money: money(r.SalesFen, r.RefundsFen)})
	}
	return s, nil
}

// HouseholdQuery selects and orders the households list.
type HouseholdQuery struct {
	Period
	Paging
	VillageID string
	// BelowLine filters on below_monitoring_line when not nil.
	BelowLine *bool
	// Sort is one of HouseholdSortKeys, optionally prefixed with "-" for
	// descending; it overrides Paging.Sort (kept here for existing callers).
	Sort string
}

// Households lists households' summaries.
func (q *Queries) Households(ctx context.Context, hq HouseholdQuery) (Page[HouseholdSummary], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[HouseholdSummary], error) { return q.householdsOnce(ctx, hq) })
}

func (q *Queries) householdsOnce(ctx context.Context, hq HouseholdQuery) (Page[HouseholdSummary], error) {
	order, err := householdOrder.parse(cmp.Or(hq.Sort, hq.Paging.Sort))
	if err != nil {
		return Page[HouseholdSummary]{}, err
	}
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return Page[HouseholdSummary]{}, err
	}
	if hq.VillageID != "" {
		if _, ok := reg.Villages[hq.VillageID]; !ok {
			return Page[HouseholdSummary]{}, fmt.Errorf("village %q: %w", hq.VillageID, ErrNotFound)
		}
	}
	all, err := q.householdFigures(ctx, reg, hq.Period, "")
	if err != nil {
		return Page[HouseholdSummary]{}, err
	}
	rows := all[:0]
	for _, s := range all {
		if hq.VillageID != "" && s.VillageID != hq.VillageID {
			continue
		}
		if hq.BelowLine != nil && s.BelowMonitoringLine != *hq.BelowLine {
			continue
		}
		rows = append(rows, s)
	}
	order.sort(rows)
	return page(rows, hq.Paging), nil
}

// enterpriseFigures computes the figures of every enterprise (or one) in the period.
func (q *Queries) enterpriseFigures(ctx context.Context, reg *domain.Registry, only string, p Period) ([]EnterpriseSummary, error) {
	rows, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: only, GroupBy: []Dim{DimEnterprise, DimPartyKind, DimPartyID}})
	if err != nil {
		return nil, err
	}
	orders, err := q.Store.Orders(ctx, SalesQuery{Period: p, EnterpriseID: only, GroupBy: []Dim{DimEnterprise}})
	if err != nil {
		return nil, err
	}
	byID := map[string]*EnterpriseSummary{}
	for id, e := range reg.Enterprises {
		if only != "" && id != only {
			continue
		}
		byID[id] = &EnterpriseSummary{EnterpriseID: id, Name: e.Name, PartyBranch: e.PartyBranch}
	}
	householdNet := map[string]map[string]domain.Fen{}
	for _, r := range rows {
		s := byID[r.EnterpriseID]
		if s == nil {
			continue // sales of a listing whose enterprise is not registered
		}
		s.add(r.SalesFen, r.RefundsFen)
		switch {
		case r.PartyKind == domain.PartyEnterprise && r.PartyID == r.EnterpriseID:
			s.EnterpriseShareFen += r.SalesFen - r.RefundsFen
		case r.PartyKind == domain.PartyHousehold:
			if householdNet[r.EnterpriseID] == nil {
				householdNet[r.EnterpriseID] = map[string]domain.Fen{}
			}
			householdNet[r.EnterpriseID][r.PartyID] += r.SalesFen - r.RefundsFen
		}
	}
	for id, nets := range householdNet {
		byID[id].HouseholdsReached = domain.CountReached(nets)
	}
	for _, o := range orders {
		if s := byID[o.EnterpriseID]; s != nil {
			s.Orders = o.Orders
		}
	}
	out := make([]EnterpriseSummary, 0, len(byID))
	for _, s := range byID {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b EnterpriseSummary) int { return cmp.Compare(a.EnterpriseID, b.EnterpriseID) })
	return out, nil
}

// Enterprise summarises one enterprise with its breakdowns.
func (q *Queries) Enterprise(ctx context.Context, id string, p Period) (EnterpriseSummary, error) {
	return answer(ctx, q, func(ctx context.Context) (EnterpriseSummary, error) { return q.enterpriseOnce(ctx, id, p) })
}

func (q *Queries) enterpriseOnce(ctx context.Context, id string, p Period) (EnterpriseSummary, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return EnterpriseSummary{}, err
	}
	if _, ok := reg.Enterprises[id]; !ok {
		return EnterpriseSummary{}, fmt.Errorf("enterprise %q: %w", id, ErrNotFound)
	}
	all, err := q.enterpriseFigures(ctx, reg, id, p)
	if err != nil {
		return EnterpriseSummary{}, err
	}
	s := all[0]
	filter := SalesQuery{Period: p, EnterpriseID: id}

	products, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: id, GroupBy: []Dim{DimProduct}})
	if err != nil {
		return s, err
	}
	s.ByProduct = []ProductFigs{}
	for _, r := range products {
		s.ByProduct = append(s.ByProduct, ProductFigs{Product: r.Product, Money: money(r.SalesFen, r.RefundsFen)})
	}

	villages, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: id, GroupBy: []Dim{DimVillage, DimPartyKind}})
	if err != nil {
		return s, err
	}
	s.ByVillage = []VillageFigs{}
	for _, r := range villages {
		if n := len(s.ByVillage); n == 0 || s.ByVillage[n-1].VillageID != r.VillageID {
			s.ByVillage = append(s.ByVillage, VillageFigs{VillageID: r.VillageID})
		}
		v := &s.ByVillage[len(s.ByVillage)-1]
		v.add(r.SalesFen, r.RefundsFen)
		switch r.PartyKind {
		case domain.PartyHousehold:
			v.HouseholdsFen += r.SalesFen - r.RefundsFen
		case domain.PartyCollective:
			v.CollectiveFen += r.SalesFen - r.RefundsFen
		}
	}

	if s.ByDay, err = q.byDay(ctx, filter); err != nil {
		return s, err
	}

	streams, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: id, GroupBy: []Dim{DimLivestream}})
	if err != nil {
		return s, err
	}
	streamOrders, err := q.Store.Orders(ctx, SalesQuery{Period: p, EnterpriseID: id, GroupBy: []Dim{DimLivestream}})
	if err != nil {
		return s, err
	}
	ordersOf := map[string]int64{}
	for _, o := range streamOrders {
		ordersOf[o.LivestreamID] = o.Orders
	}
	s.Livestreams = []LivestreamFigs{}
	for _, r := range streams {
		if r.LivestreamID != "" {
			s.Livestreams = append(s.Livestreams, LivestreamFigs{LivestreamID: r.LivestreamID, Money: money(r.SalesFen, r.RefundsFen), Orders: ordersOf[r.LivestreamID]})
		}
	}
	return s, nil
}

// Enterprises lists every registered enterprise's figures.
func (q *Queries) Enterprises(ctx context.Context, p Period, pg Paging) (Page[EnterpriseSummary], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[EnterpriseSummary], error) { return q.enterprisesOnce(ctx, p, pg) })
}

func (q *Queries) enterprisesOnce(ctx context.Context, p Period, pg Paging) (Page[EnterpriseSummary], error) {
	order, err := enterpriseOrder.parse(pg.Sort)
	if err != nil {
		return Page[EnterpriseSummary]{}, err
	}
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return Page[EnterpriseSummary]{}, err
	}
	all, err := q.enterpriseFigures(ctx, reg, "", p)
	if err != nil {
		return Page[EnterpriseSummary]{}, err
	}
	order.sort(all)
	return page(all, pg), nil
}

func (q *Queries) villageFigures(ctx context.Context, reg *domain.Registry, p Period) ([]VillageSummary, error) {
	households, err := q.householdFigures(ctx, reg, p, "")
	if err != nil {
		return nil, err
	}
	collectives, err := q.Store.Sales(ctx, SalesQuery{Period: p, PartyKind: domain.PartyCollective, GroupBy: []Dim{DimPartyID}})
	if err != nil {
		return nil, err
	}
	products, err := q.Store.Sales(ctx, SalesQuery{Period: p, GroupBy: []Dim{DimVillage}})
	if err != nil {
		return nil, err
	}
	byID := map[string]*VillageSummary{}
	for id, v := range reg.Villages {
		byID[id] = &VillageSummary{VillageID: id, Name: v.Name, Town: v.Town}
	}
	for _, h := range households {
		v := byID[h.VillageID]
		if v == nil {
			continue
		}
		v.Households++
		v.AttributedSalesFen += h.AttributedSalesFen
		if domain.Reached(h.AttributedSalesFen) {
			v.HouseholdsReached++
		}
		if h.BelowMonitoringLine {
			v.BelowMonitoringLine++
		}
	}
	for _, r := range collectives {
		if v := byID[r.PartyID]; v != nil {
			v.CollectiveIncomeFen += r.SalesFen - r.RefundsFen
		}
	}
	for _, r := range products {
		if v := byID[r.VillageID]; v != nil {
			v.ProductSalesFen += r.SalesFen - r.RefundsFen
		}
	}
	out := make([]VillageSummary, 0, len(byID))
	for _, v := range byID {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b VillageSummary) int { return cmp.Compare(a.VillageID, b.VillageID) })
	return out, nil
}

// Village summarises one village.
func (q *Queries) Village(ctx context.Context, id string, p Period) (VillageSummary, error) {
	return answer(ctx, q, func(ctx context.Context) (VillageSummary, error) { return q.villageOnce(ctx, id, p) })
}

func (q *Queries) villageOnce(ctx context.Context, id string, p Period) (VillageSummary, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return VillageSummary{}, err
	}
	if _, ok := reg.Villages[id]; !ok {
		return VillageSummary{}, fmt.Errorf("village %q: %w", id, ErrNotFound)
	}
	all, err := q.villageFigures(ctx, reg, p)
	if err != nil {
		return VillageSummary{}, err
	}
	for _, v := range all {
		if v.VillageID == id {
			return v, nil
		}
	}
	return VillageSummary{}, fmt.Errorf("village %q: %w", id, ErrNotFound)
}

// Villages lists every registered village's figures.
func (q *Queries) Villages(ctx context.Context, p Period, pg Paging) (Page[VillageSummary], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[VillageSummary], error) { return q.villagesOnce(ctx, p, pg) })
}

func (q *Queries) villagesOnce(ctx context.Context, p Period, pg Paging) (Page[VillageSummary], error) {
	order, err := villageOrder.parse(pg.Sort)
	if err != nil {
		return Page[VillageSummary]{}, err
	}
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return Page[VillageSummary]{}, err
	}
	all, err := q.villageFigures(ctx, reg, p)
	if err != nil {
		return Page[VillageSummary]{}, err
	}
	order.sort(all)
	return page(all, pg), nil
}

// Livestream summarises one livestream over its whole life, per minute.
func (q *Queries) Livestream(ctx context.Context, id string) (LivestreamSummary, error) {
	return answer(ctx, q, func(ctx context.Context) (LivestreamSummary, error) { return q.livestreamOnce(ctx, id) })
}

func (q *Queries) livestreamOnce(ctx context.Context, id string) (LivestreamSummary, error) {
	infos, err := q.Store.Livestreams(ctx)
	if err != nil {
		return LivestreamSummary{}, err
	}
	for _, info := range infos {
		if info.ID == id {
			return q.livestream(ctx, info, Period{}, true)
		}
	}
	return LivestreamSummary{}, fmt.Errorf("livestream %q: %w", id, ErrNotFound)
}

func (q *Queries) livestream(ctx context.Context, info LivestreamInfo, p Period, withMinutes bool) (LivestreamSummary, error) {
	s := LivestreamSummary{ID: info.ID, Platform: info.Platform, RoomID: info.RoomID, AnchorName: info.AnchorName}
	sales, err := q.Store.Sales(ctx, SalesQuery{Period: p, LivestreamID: info.ID})
	if err != nil {
		return s, err
	}
	for _, r := range sales {
		s.add(r.SalesFen, r.RefundsFen)
	}
	return s, q.livestreamRest(ctx, &s, p, withMinutes)
}

// livestreamRest completes a livestream's summary whose money in the
// period is summed: its orders, buyers and refund rate there, and its
// minutes.
func (q *Queries) livestreamRest(ctx context.Context, s *LivestreamSummary, p Period, withMinutes bool) error {
	orders, err := q.Store.Orders(ctx, SalesQuery{Period: p, LivestreamID: s.ID, WithBuyers: true})
	if err != nil {
		return err
	}
	if len(orders) == 1 {
		s.Orders, s.Buyers = orders[0].Orders, orders[0].Buyers
	}
	if s.GMVFen > 0 {
		s.RefundRate = math.Round(float64(s.RefundsFen)/float64(s.GMVFen)*1e4) / 1e4
	}
	minutes, err := q.Store.LivestreamMinutes(ctx, s.ID)
	if err != nil {
		return err
	}
	var selling []MinuteFigs
	inPeriod := minutes[:0:0]
	for _, m := range minutes {
		day := m.Minute[:10]
		if (p.From != "" && day < p.From) || (p.To != "" && day > p.To) {
			continue
		}
		inPeriod = append(inPeriod, m)
		f := MinuteFigs{Minute: m.Minute, Orders: m.Orders, Money: money(m.SalesFen, m.RefundsFen)}
		if withMinutes {
			s.ByMinute = append(s.ByMinute, f)
		}
		if m.Orders > 0 {
			selling = append(selling, f)
			if s.PeakMinute == nil || f.Orders > s.PeakMinute.Orders {
				peak := f
				s.PeakMinute = &peak
			}
		}
	}
	if withMinutes {
		if s.Sessions, err = q.sessions(inPeriod); err != nil {
			return err
		}
	}
	if len(selling) > 0 {
		s.FirstOrderAt, s.LastOrderAt = selling[0].Minute, selling[len(selling)-1].Minute
		first, err1 := time.ParseInLocation("2006-01-02T15:04", s.FirstOrderAt, domain.ChinaTime)
		last, err2 := time.ParseInLocation("2006-01-02T15:04", s.LastOrderAt, domain.ChinaTime)
		if err1 == nil && err2 == nil {
			span := last.Sub(first).Minutes() + 1
			s.OrdersPerMinute = math.Round(float64(s.Orders)/span*100) / 100
		}
	}
	return nil
}

// Livestreams lists the livestreams with sales in the period.
func (q *Queries) Livestreams(ctx context.Context, p Period, pg Paging) (Page[LivestreamSummary], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[LivestreamSummary], error) { return q.livestreamsOnce(ctx, p, pg) })
}

func (q *Queries) livestreamsOnce(ctx context.Context, p Period, pg Paging) (Page[LivestreamSummary], error) {
	order, err := livestreamOrder.parse(pg.Sort)
	if err != nil {
		return Page[LivestreamSummary]{}, err
	}
	// Only the livestreams with money in the period, summed in one query:
	// the rest of each summary costs a few queries per livestream listed.
	rows, err := q.Store.LivestreamSales(ctx, p, "")
	if err != nil {
		return Page[LivestreamSummary]{}, err
	}
	var out []LivestreamSummary
	for _, r := range rows {
		if r.SalesFen == 0 && r.RefundsFen == 0 {
			continue
		}
		s := LivestreamSummary{ID: r.ID, Platform: r.Platform, RoomID: r.RoomID, AnchorName: r.AnchorName}
		s.add(r.SalesFen, r.RefundsFen)
		if err := q.livestreamRest(ctx, &s, p, false); err != nil {
			return Page[LivestreamSummary]{}, err
		}
		out = append(out, s)
	}
	order.sort(out)
	return page(out, pg), nil
}

// Unattributed lists the SKUs sold without a listing.
func (q *Queries) Unattributed(ctx context.Context, p Period, pg Paging) (Page[UnattributedItem], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[UnattributedItem], error) { return q.unattributedOnce(ctx, p, pg) })
}

func (q *Queries) unattributedOnce(ctx context.Context, p Period, pg Paging) (Page[UnattributedItem], error) {
	if err := refuseSort("unattributed", pg); err != nil {
		return Page[UnattributedItem]{}, err
	}
	rows, err := q.Store.UnattributedSKUs(ctx, p)
	if err != nil {
		return Page[UnattributedItem]{}, err
	}
	out := make([]UnattributedItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, UnattributedItem{Platform: r.Platform, SKUID: r.SKUID, ProductName: r.ProductName, Lines: r.Lines,
			Money: money(r.SalesFen, r.RefundsFen), FirstAt: r.FirstAt.Format(time.RFC3339), LastAt: r.LastAt.Format(time.RFC3339)})
	}
	return page(out, pg), nil
}

// DeadLetters lists dead letters, newest first.
func (q *Queries) DeadLetters(ctx context.Context, pg Paging) (Page[DeadLetterItem], error) {
	return answer(ctx, q, func(ctx context.Context) (Page[DeadLetterItem], error) { return q.deadLettersOnce(ctx, pg) })
}

func (q *Queries) deadLettersOnce(ctx context.Context, pg Paging) (Page[DeadLetterItem], error) {
	if err := refuseSort("dead letters", pg); err != nil {
		return Page[DeadLetterItem]{}, err
	}
	dls, total, err := q.Store.DeadLetters(ctx, pg.Limit, pg.Offset)
	if err != nil {
		return Page[DeadLetterItem]{}, err
	}
	out := make([]DeadLetterItem, 0, len(dls))
	for _, dl := range dls {
		item := DeadLetterItem{ID: dl.ID, Source: dl.Source, Reason: dl.Reason, ReceivedAt: dl.ReceivedAt.Format(time.RFC3339), Bytes: len(dl.Raw)}
		if utf8.Valid(dl.Raw) {
			item.Raw = string(dl.Raw)
		} else {
			item.RawBase64 = base64.StdEncoding.EncodeToString(dl.Raw)
		}
		out = append(out, item)
	}
	return Page[DeadLetterItem]{Items: out, Total: total}, nil
}
