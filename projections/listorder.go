package projections

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// listOrder is the set of sort keys of one list: id (the default) and the
// numeric fields named here, each sortable ascending or, prefixed with "-",
// descending. Rows with equal keys stay in id order.
type listOrder[T any] struct {
	list string
	id   func(*T) string
	// keys are in documentation order, after "id".
	keys []sortKey[T]
}

type sortKey[T any] struct {
	name  string
	value func(*T) int64
}

// rowOrder is a parsed sort of a list.
type rowOrder[T any] struct {
	o    *listOrder[T]
	key  func(*T) int64 // nil: by id
	desc bool
}

// Names lists the sort keys in documentation order.
func (o *listOrder[T]) Names() []string {
	out := []string{"id"}
	for _, k := range o.keys {
		out = append(out, k.name)
	}
	return out
}

func (o *listOrder[T]) parse(sort string) (rowOrder[T], error) {
	r := rowOrder[T]{o: o}
	field, desc := strings.CutPrefix(sort, "-")
	r.desc = desc
	if field == "" && !desc || field == "id" {
		return r, nil
	}
	for _, k := range o.keys {
		if k.name == field {
			r.key = k.value
			return r, nil
		}
	}
	return r, fmt.Errorf("%w: sort=%q is not a sort key of %s: use one of %s, with - for descending",
		ErrBadRequest, sort, o.list, strings.Join(o.Names(), ", "))
}

func (r rowOrder[T]) sort(rows []T) {
	slices.SortStableFunc(rows, func(a, b T) int {
		c := 0
		if r.key != nil {
			c = cmp.Compare(r.key(&a), r.key(&b))
		}
		if c == 0 {
			c = cmp.Compare(r.o.id(&a), r.o.id(&b))
			if r.key != nil {
				return c // ties in id order whichever the direction
			}
		}
		if r.desc {
			c = -c
		}
		return c
	})
}

// refuseSort refuses a sort on a list that has one fixed order.
func refuseSort(list string, pg Paging) error {
	if pg.Sort != "" {
		return fmt.Errorf("%w: sort=%q: the %s list has one order and takes no sort", ErrBadRequest, pg.Sort, list)
	}
	return nil
}

var householdOrder = &listOrder[HouseholdSummary]{
	list: "households",
	id:   func(s *HouseholdSummary) string { return s.HouseholdID },
	keys: []sortKey[HouseholdSummary]{
		{"income_gain_fen", func(s *HouseholdSummary) int64 { return int64(s.IncomeGainFen) }},
		{"attributed_sales_fen", func(s *HouseholdSummary) int64 { return int64(s.AttributedSalesFen) }},
		{"recorded_income_fen", func(s *HouseholdSummary) int64 { return int64(s.RecordedIncomeFen) }},
		{"per_capita_income_fen", func(s *HouseholdSummary) int64 { return int64(s.PerCapitaIncomeFen) }},
	},
}

var enterpriseOrder = &listOrder[EnterpriseSummary]{
	list: "enterprises",
	id:   func(s *EnterpriseSummary) string { return s.EnterpriseID },
	keys: []sortKey[EnterpriseSummary]{
		{"gmv_fen", func(s *EnterpriseSummary) int64 { return int64(s.GMVFen) }},
		{"refunds_fen", func(s *EnterpriseSummary) int64 { return int64(s.RefundsFen) }},
		{"net_fen", func(s *EnterpriseSummary) int64 { return int64(s.NetFen) }},
		{"orders", func(s *EnterpriseSummary) int64 { return s.Orders }},
		{"enterprise_share_fen", func(s *EnterpriseSummary) int64 { return int64(s.EnterpriseShareFen) }},
		{"households_reached", func(s *EnterpriseSummary) int64 { return s.HouseholdsReached }},
	},
}

var villageOrder = &listOrder[VillageSummary]{
	list: "villages",
	id:   func(s *VillageSummary) string { return s.VillageID },
	keys: []sortKey[VillageSummary]{
		{"collective_income_fen", func(s *VillageSummary) int64 { return int64(s.CollectiveIncomeFen) }},
		{"attributed_sales_fen", func(s *VillageSummary) int64 { return int64(s.AttributedSalesFen) }},
		{"product_sales_fen", func(s *VillageSummary) int64 { return int64(s.ProductSalesFen) }},
		{"households", func(s *VillageSummary) int64 { return s.Households }},
		{"households_reached", func(s *VillageSummary) int64 { return s.HouseholdsReached }},
		{"below_monitoring_line", func(s *VillageSummary) int64 { return s.BelowMonitoringLine }},
	},
}

var livestreamOrder = &listOrder[LivestreamSummary]{
	list: "livestreams",
	id:   func(s *LivestreamSummary) string { return s.ID },
	keys: []sortKey[LivestreamSummary]{
		{"gmv_fen", func(s *LivestreamSummary) int64 { return int64(s.GMVFen) }},
		{"refunds_fen", func(s *LivestreamSummary) int64 { return int64(s.RefundsFen) }},
		{"net_fen", func(s *LivestreamSummary) int64 { return int64(s.NetFen) }},
		{"orders", func(s *LivestreamSummary) int64 { return s.Orders }},
		{"buyers", func(s *LivestreamSummary) int64 { return s.Buyers }},
	},
}

// The sort keys of each list, in documentation order, for docs and clients.
var (
	HouseholdSortKeys  = householdOrder.Names()
	EnterpriseSortKeys = enterpriseOrder.Names()
	VillageSortKeys    = villageOrder.Names()
	LivestreamSortKeys = livestreamOrder.Names()
)
