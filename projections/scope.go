package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/loquat-dev/loquat/domain"
)

// ErrForbidden is returned when the caller's scope does not reach an
// endpoint at all (not an id: an out-of-scope id is ErrNotFound, as an
// unknown one).
var ErrForbidden = errors.New("forbidden")

// Scope is what a caller may see. The zero Scope sees nothing, so a
// caller whose scope was not worked out is denied, not served everything.
type Scope struct {
	// All sees every figure (district roles, auditors).
	All bool
	// DeadLetters may read the dead letters (district roles only: their raw
	// bytes may hold buyers' data).
	DeadLetters bool
	// EnterpriseID sees that enterprise's own sales: its summary, its
	// livestreams, its paired villages' figures from its sales, and the
	// households its sales reached with their shares of its sales.
	EnterpriseID string
	// VillageID sees that village and its households in full.
	VillageID string
}

// Unscoped is the scope of a node serving without authentication.
var Unscoped = Scope{All: true, DeadLetters: true}

func forbidden(what string) error {
	return fmt.Errorf("%w: %s is not in this account's scope", ErrForbidden, what)
}

// ScopedOverview answers the overview for scope: the district's figures
// for All; for an enterprise, the same figures of its own sales; for a
// village, of the sales of its listings (its collective's and households'
// products). Unattributed sales belong to no enterprise or village, so a
// scoped overview has none.
func (q *Queries) ScopedOverview(ctx context.Context, s Scope, p Period) (Overview, error) {
	switch {
	case s.All:
		return q.Overview(ctx, p)
	case s.EnterpriseID != "":
		return answer(ctx, q, func(ctx context.Context) (Overview, error) {
			return q.overviewOnce(ctx, SalesQuery{Period: p, EnterpriseID: s.EnterpriseID})
		})
	case s.VillageID != "":
		return answer(ctx, q, func(ctx context.Context) (Overview, error) {
			return q.overviewOnce(ctx, SalesQuery{Period: p, VillageID: s.VillageID})
		})
	}
	return Overview{}, forbidden("the overview")
}

// ScopedUnattributed lists unattributed SKUs, which belong to no
// enterprise or village: only for All.
func (q *Queries) ScopedUnattributed(ctx context.Context, s Scope, p Period, pg Paging) (Page[UnattributedItem], error) {
	if !s.All {
		return Page[UnattributedItem]{}, forbidden("the unattributed SKUs")
	}
	return q.Unattributed(ctx, p, pg)
}

// ScopedDeadLetters lists dead letters for a scope that may read them.
func (q *Queries) ScopedDeadLetters(ctx context.Context, s Scope, pg Paging) (Page[DeadLetterItem], error) {
	if !s.DeadLetters {
		return Page[DeadLetterItem]{}, forbidden("the dead letters")
	}
	return q.DeadLetters(ctx, pg)
}

// ScopedConflicts lists conflicts (rejected versions of facts, which may
// carry buyers' and households' data) for the scopes that read dead letters.
func (q *Queries) ScopedConflicts(ctx context.Context, s Scope, pg Paging) (Page[domain.Conflict], error) {
	if !s.DeadLetters {
		return Page[domain.Conflict]{}, forbidden("the conflicts")
	}
	return q.Conflicts(ctx, pg)
}

// ScopedCorrections lists corrections for the scopes that see every
// figure (district roles, auditors): a correction names households, the
// operator and the reason.
func (q *Queries) ScopedCorrections(ctx context.Context, s Scope, f CorrectionFilter) (Page[CorrectionRecord], error) {
	if !s.All {
		return Page[CorrectionRecord]{}, forbidden("the corrections")
	}
	cs, err := q.Corrections(ctx, f)
	return Page[CorrectionRecord]{Items: cs, Total: len(cs)}, err
}

// ScopedHousehold answers one household: in full for All and for the
// household's village; for an enterprise, a HouseholdShare of its sales if
// its sales ever reached the household. Out of scope is ErrNotFound.
func (q *Queries) ScopedHousehold(ctx context.Context, s Scope, id string, p Period) (any, error) {
	switch {
	case s.All:
		return q.Household(ctx, id, p)
	case s.VillageID != "":
		h, err := q.Household(ctx, id, p)
		if err == nil && h.VillageID != s.VillageID {
			return nil, fmt.Errorf("household %q: %w", id, ErrNotFound)
		}
		return h, err
	case s.EnterpriseID != "":
		return answer(ctx, q, func(ctx context.Context) (HouseholdShare, error) {
			return q.householdShareOnce(ctx, s.EnterpriseID, id, p)
		})
	}
	return nil, forbidden("households")
}

// ScopedHouseholds lists households: all for All; the village's for a
// village (another village_id answers 404); for an enterprise, the shares
// of the households its sales reached.
func (q *Queries) ScopedHouseholds(ctx context.Context, s Scope, hq HouseholdQuery) (any, error) {
	switch {
	case s.All:
		return q.Households(ctx, hq)
	case s.VillageID != "":
		if hq.VillageID != "" && hq.VillageID != s.VillageID {
			return nil, fmt.Errorf("village %q: %w", hq.VillageID, ErrNotFound)
		}
		hq.VillageID = s.VillageID
		return q.Households(ctx, hq)
	case s.EnterpriseID != "":
		return answer(ctx, q, func(ctx context.Context) (Page[HouseholdShare], error) {
			return q.householdSharesOnce(ctx, s.EnterpriseID, hq)
		})
	}
	return nil, forbidden("households")
}

// ScopedEnterprise answers an enterprise for All, or for itself.
func (q *Queries) ScopedEnterprise(ctx context.Context, s Scope, id string, p Period) (EnterpriseSummary, error) {
	switch {
	case s.All:
		return q.Enterprise(ctx, id, p)
	case s.EnterpriseID != "":
		if id != s.EnterpriseID {
			return EnterpriseSummary{}, fmt.Errorf("enterprise %q: %w", id, ErrNotFound)
		}
		return q.Enterprise(ctx, id, p)
	}
	return EnterpriseSummary{}, forbidden("enterprises")
}

// ScopedEnterprises lists enterprises: all for All, itself for an enterprise.
func (q *Queries) ScopedEnterprises(ctx context.Context, s Scope, p Period, pg Paging) (Page[EnterpriseSummary], error) {
	switch {
	case s.All:
		return q.Enterprises(ctx, p, pg)
	case s.EnterpriseID != "":
		order, err := enterpriseOrder.parse(pg.Sort)
		if err != nil {
			return Page[EnterpriseSummary]{}, err
		}
		return answer(ctx, q, func(ctx context.Context) (Page[EnterpriseSummary], error) {
			reg, err := q.Store.Registry(ctx)
			if err != nil {
				return Page[EnterpriseSummary]{}, err
			}
			if _, ok := reg.Enterprises[s.EnterpriseID]; !ok {
				return page([]EnterpriseSummary{}, pg), nil
			}
			one, err := q.enterpriseFigures(ctx, reg, s.EnterpriseID, p)
			order.sort(one)
			return page(one, pg), err
		})
	}
	return Page[EnterpriseSummary]{}, forbidden("enterprises")
}

// ScopedVillage answers a village: in full for All and for itself; for an
// enterprise, a paired village's EnterpriseVillageSummary from its sales.
func (q *Queries) ScopedVillage(ctx context.Context, s Scope, id string, p Period) (any, error) {
	switch {
	case s.All:
		return q.Village(ctx, id, p)
	case s.VillageID != "":
		if id != s.VillageID {
			return nil, fmt.Errorf("village %q: %w", id, ErrNotFound)
		}
		return q.Village(ctx, id, p)
	case s.EnterpriseID != "":
		return answer(ctx, q, func(ctx context.Context) (EnterpriseVillageSummary, error) {
			all, err := q.enterpriseVillagesOnce(ctx, s.EnterpriseID, id, p)
			if err != nil {
				return EnterpriseVillageSummary{}, err
			}
			if len(all) == 0 {
				return EnterpriseVillageSummary{}, fmt.Errorf("village %q: %w", id, ErrNotFound)
			}
			return all[0], nil
		})
	}
	return nil, forbidden("villages")
}

// ScopedVillages lists villages: all for All, itself for a village, the
// paired villages (figures from its sales) for an enterprise.
func (q *Queries) ScopedVillages(ctx context.Context, s Scope, p Period, pg Paging) (any, error) {
	switch {
	case s.All:
		return q.Villages(ctx, p, pg)
	case s.VillageID != "":
		if _, err := villageOrder.parse(pg.Sort); err != nil {
			return nil, err
		}
		return answer(ctx, q, func(ctx context.Context) (Page[VillageSummary], error) {
			v, err := q.villageOnce(ctx, s.VillageID, p)
			if errors.Is(err, ErrNotFound) {
				return page([]VillageSummary{}, pg), nil
			}
			return page([]VillageSummary{v}, pg), err
		})
	case s.EnterpriseID != "":
		order, err := enterpriseVillageOrder.parse(pg.Sort)
		if err != nil {
			return nil, err
		}
		return answer(ctx, q, func(ctx context.Context) (Page[EnterpriseVillageSummary], error) {
			all, err := q.enterpriseVillagesOnce(ctx, s.EnterpriseID, "", p)
			order.sort(all)
			return page(all, pg), err
		})
	}
	return nil, forbidden("villages")
}

// ScopedLivestream answers a livestream for All; for an enterprise whose
// sales it carried, from the enterprise's sales only (see enterpriseLivestream).
func (q *Queries) ScopedLivestream(ctx context.Context, s Scope, id string) (LivestreamSummary, error) {
	switch {
	case s.All:
		return q.Livestream(ctx, id)
	case s.EnterpriseID != "":
		return answer(ctx, q, func(ctx context.Context) (LivestreamSummary, error) {
			infos, err := q.Store.Livestreams(ctx)
			if err != nil {
				return LivestreamSummary{}, err
			}
			for _, info := range infos {
				if info.ID == id {
					s, ok, err := q.enterpriseLivestream(ctx, s.EnterpriseID, info, Period{}, true)
					if err != nil || ok {
						return s, err
					}
				}
			}
			return LivestreamSummary{}, fmt.Errorf("livestream %q: %w", id, ErrNotFound)
		})
	}
	return LivestreamSummary{}, forbidden("livestreams")
}

// ScopedLivestreams lists livestreams with sales in the period: all for
// All; for an enterprise, those with its sales, from its sales.
func (q *Queries) ScopedLivestreams(ctx context.Context, s Scope, p Period, pg Paging) (Page[LivestreamSummary], error) {
	switch {
	case s.All:
		return q.Livestreams(ctx, p, pg)
	case s.EnterpriseID != "":
		order, err := livestreamOrder.parse(pg.Sort)
		if err != nil {
			return Page[LivestreamSummary]{}, err
		}
		return answer(ctx, q, func(ctx context.Context) (Page[LivestreamSummary], error) {
			// The livestreams with the enterprise's money in the period are
			// the only ones that can be listed (one that carried only its
			// sales has no other money).
			rows, err := q.Store.LivestreamSales(ctx, p, s.EnterpriseID)
			if err != nil {
				return Page[LivestreamSummary]{}, err
			}
			var out []LivestreamSummary
			for _, r := range rows {
				ls, ok, err := q.enterpriseLivestream(ctx, s.EnterpriseID, r.LivestreamInfo, p, false)
				if err != nil {
					return Page[LivestreamSummary]{}, err
				}
				if ok && (ls.GMVFen != 0 || ls.RefundsFen != 0) {
					out = append(out, ls)
				}
			}
			order.sort(out)
			return page(out, pg), nil
		})
	}
	return Page[LivestreamSummary]{}, forbidden("livestreams")
}

// enterpriseLivestream composes a livestream from one enterprise's sales;
// ok is false when the enterprise never sold in it. A livestream that
// sold only the enterprise's listings answers exactly as unscoped; one
// that also sold others' answers without its per-minute figures (by_minute,
// peak, first and last order, orders per minute), which the store keeps
// per livestream, not per enterprise.
func (q *Queries) enterpriseLivestream(ctx context.Context, enterpriseID string, info LivestreamInfo, p Period, withMinutes bool) (LivestreamSummary, bool, error) {
	byEnterprise, err := q.Store.Sales(ctx, SalesQuery{LivestreamID: info.ID, GroupBy: []Dim{DimEnterprise}})
	if err != nil {
		return LivestreamSummary{}, false, err
	}
	own, others := false, false
	for _, r := range byEnterprise {
		if r.EnterpriseID == enterpriseID {
			own = true
		} else {
			others = true
		}
	}
	if !own {
		return LivestreamSummary{}, false, nil
	}
	if !others {
		s, err := q.livestream(ctx, info, p, withMinutes)
		return s, true, err
	}
	s := LivestreamSummary{ID: info.ID, Platform: info.Platform, RoomID: info.RoomID, AnchorName: info.AnchorName}
	sales, err := q.Store.Sales(ctx, SalesQuery{Period: p, LivestreamID: info.ID, EnterpriseID: enterpriseID})
	if err != nil {
		return s, true, err
	}
	for _, r := range sales {
		s.add(r.SalesFen, r.RefundsFen)
	}
	orders, err := q.Store.Orders(ctx, SalesQuery{Period: p, LivestreamID: info.ID, EnterpriseID: enterpriseID, WithBuyers: true})
	if err != nil {
		return s, true, err
	}
	if len(orders) == 1 {
		s.Orders, s.Buyers = orders[0].Orders, orders[0].Buyers
	}
	if s.GMVFen > 0 {
		s.RefundRate = refundRate(s.RefundsFen, s.GMVFen)
	}
	return s, true, nil
}

// HouseholdShare is a household as an enterprise sees it: its share of
// the enterprise's sales, never its baseline, other income, per-capita
// income or monitoring status.
type HouseholdShare struct {
	HouseholdID string `json:"household_id"`
	VillageID   string `json:"village_id"`
	// AttributedSalesFen is the household's share of the enterprise's net sales.
	AttributedSalesFen domain.Fen    `json:"attributed_sales_fen"`
	ByProduct          []ProductFigs `json:"by_product,omitempty"`
}

// reachedBy returns the households the enterprise's sales ever reached
// (any period: scope does not change with the period asked).
func (q *Queries) reachedBy(ctx context.Context, enterpriseID string) (map[string]bool, error) {
	rows, err := q.Store.Sales(ctx, SalesQuery{EnterpriseID: enterpriseID, PartyKind: domain.PartyHousehold, GroupBy: []Dim{DimPartyID}})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(rows))
	for _, r := range rows {
		out[r.PartyID] = true
	}
	return out, nil
}

func (q *Queries) householdShareOnce(ctx context.Context, enterpriseID, id string, p Period) (HouseholdShare, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return HouseholdShare{}, err
	}
	reached, err := q.reachedBy(ctx, enterpriseID)
	if err != nil {
		return HouseholdShare{}, err
	}
	h, ok := reg.Households[id]
	if !ok || !reached[id] {
		return HouseholdShare{}, fmt.Errorf("household %q: %w", id, ErrNotFound)
	}
	rows, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: enterpriseID, PartyKind: domain.PartyHousehold, PartyID: id, GroupBy: []Dim{DimProduct}})
	if err != nil {
		return HouseholdShare{}, err
	}
	out := HouseholdShare{HouseholdID: id, VillageID: h.VillageID, ByProduct: []ProductFigs{}}
	for _, r := range rows {
		out.AttributedSalesFen += r.SalesFen - r.RefundsFen
		out.ByProduct = append(out.ByProduct, ProductFigs{Product: r.Product, Money: money(r.SalesFen, r.RefundsFen)})
	}
	return out, nil
}

func (q *Queries) householdSharesOnce(ctx context.Context, enterpriseID string, hq HouseholdQuery) (Page[HouseholdShare], error) {
	if hq.BelowLine != nil {
		return Page[HouseholdShare]{}, forbidden("below_line (households' monitoring status)")
	}
	order, err := householdShareOrder.parse(cmp.Or(hq.Sort, hq.Paging.Sort))
	if err != nil {
		return Page[HouseholdShare]{}, err
	}
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return Page[HouseholdShare]{}, err
	}
	reached, err := q.reachedBy(ctx, enterpriseID)
	if err != nil {
		return Page[HouseholdShare]{}, err
	}
	net, err := q.householdNet(ctx, SalesQuery{Period: hq.Period, EnterpriseID: enterpriseID})
	if err != nil {
		return Page[HouseholdShare]{}, err
	}
	rows := []HouseholdShare{}
	for id := range reached {
		h, ok := reg.Households[id]
		if !ok || (hq.VillageID != "" && h.VillageID != hq.VillageID) {
			continue
		}
		rows = append(rows, HouseholdShare{HouseholdID: id, VillageID: h.VillageID, AttributedSalesFen: net[id]})
	}
	order.sort(rows)
	return page(rows, hq.Paging), nil
}

// EnterpriseVillageSummary is a paired village as an enterprise sees it:
// figures from the enterprise's sales only, and nothing of the village's
// households beyond how many its sales reached.
type EnterpriseVillageSummary struct {
	VillageID string `json:"village_id"`
	Name      string `json:"name"`
	Town      string `json:"town"`
	// CollectiveIncomeFen is the collective's share of the enterprise's net sales.
	CollectiveIncomeFen domain.Fen `json:"collective_income_fen"`
	// AttributedSalesFen is the village's households' shares of them.
	AttributedSalesFen domain.Fen `json:"attributed_sales_fen"`
	// ProductSalesFen is the enterprise's net sales of the village's produce.
	ProductSalesFen   domain.Fen `json:"product_sales_fen"`
	HouseholdsReached int64      `json:"households_reached"`
}

// enterpriseVillagesOnce composes the enterprise's paired villages (only
// the one named, when only is set), in id order.
func (q *Queries) enterpriseVillagesOnce(ctx context.Context, enterpriseID, only string, p Period) ([]EnterpriseVillageSummary, error) {
	reg, err := q.Store.Registry(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := reg.Enterprises[enterpriseID]
	if !ok {
		return []EnterpriseVillageSummary{}, nil
	}
	byID := map[string]*EnterpriseVillageSummary{}
	for _, id := range e.PairedVillages {
		v, ok := reg.Villages[id]
		if ok && (only == "" || id == only) {
			byID[id] = &EnterpriseVillageSummary{VillageID: id, Name: v.Name, Town: v.Town}
		}
	}
	if len(byID) == 0 {
		return []EnterpriseVillageSummary{}, nil
	}
	net, err := q.householdNet(ctx, SalesQuery{Period: p, EnterpriseID: enterpriseID})
	if err != nil {
		return nil, err
	}
	for id, n := range net {
		h, ok := reg.Households[id]
		if v := byID[h.VillageID]; ok && v != nil {
			v.AttributedSalesFen += n
			if domain.Reached(n) {
				v.HouseholdsReached++
			}
		}
	}
	collectives, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: enterpriseID, PartyKind: domain.PartyCollective, GroupBy: []Dim{DimPartyID}})
	if err != nil {
		return nil, err
	}
	for _, r := range collectives {
		if v := byID[r.PartyID]; v != nil {
			v.CollectiveIncomeFen += r.SalesFen - r.RefundsFen
		}
	}
	products, err := q.Store.Sales(ctx, SalesQuery{Period: p, EnterpriseID: enterpriseID, GroupBy: []Dim{DimVillage}})
	if err != nil {
		return nil, err
	}
	for _, r := range products {
		if v := byID[r.VillageID]; v != nil {
			v.ProductSalesFen += r.SalesFen - r.RefundsFen
		}
	}
	out := make([]EnterpriseVillageSummary, 0, len(byID))
	for _, v := range byID {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b EnterpriseVillageSummary) int { return cmp.Compare(a.VillageID, b.VillageID) })
	return out, nil
}

// refundRate is refunds ÷ GMV to four places, as livestream() rounds it.
func refundRate(refunds, gmv domain.Fen) float64 {
	return math.Round(float64(refunds)/float64(gmv)*1e4) / 1e4
}

var householdShareOrder = &listOrder[HouseholdShare]{
	list: "households (as an enterprise sees them)",
	id:   func(s *HouseholdShare) string { return s.HouseholdID },
	keys: []sortKey[HouseholdShare]{
		{"attributed_sales_fen", func(s *HouseholdShare) int64 { return int64(s.AttributedSalesFen) }},
	},
}

var enterpriseVillageOrder = &listOrder[EnterpriseVillageSummary]{
	list: "villages (as an enterprise sees them)",
	id:   func(s *EnterpriseVillageSummary) string { return s.VillageID },
	keys: []sortKey[EnterpriseVillageSummary]{
		{"collective_income_fen", func(s *EnterpriseVillageSummary) int64 { return int64(s.CollectiveIncomeFen) }},
		{"attributed_sales_fen", func(s *EnterpriseVillageSummary) int64 { return int64(s.AttributedSalesFen) }},
		{"product_sales_fen", func(s *EnterpriseVillageSummary) int64 { return int64(s.ProductSalesFen) }},
		{"households_reached", func(s *EnterpriseVillageSummary) int64 { return s.HouseholdsReached }},
	},
}
