package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// Order counts.
//
// Counting distinct orders over the entries of a period costs the server a
// pass over them and a set of every order (hundreds of milliseconds at half
// a million orders). But all of an order's sale entries fall on its payment
// day, so the number of orders paid in a period is the sum of the orders
// paid on each of its days, for any grouping: order_counts keeps, per
// China-time day and per key of each grouping below, how many orders have a
// live sale entry there, changed by ±1 as the projector's OrderChanges move
// an order in or out of a group. It is written in the commit's batch and
// generation and folded with sales_rollup (see fold.go).
//
// An Orders query whose filters and groups (besides the day) are one of
// these groupings reads the paid-order counts from order_counts; refunded
// orders and buyers (not additive over days: an order refunded on two days
// is one refunded order) are counted from the period's entries, and only
// when asked (SalesQuery.WithRefunded, WithBuyers). Any other query counts
// everything from the entries.
var orderGroupings = [][]projections.Dim{
	{},
	{projections.DimPlatform},
	{projections.DimEnterprise},
	{projections.DimVillage},
	{projections.DimLivestream},
	{projections.DimEnterprise, projections.DimLivestream},
}

// NeedsOrderChanges is true: Commit moves order_counts by Batch.Orders.
func (s *Store) NeedsOrderChanges() bool { return true }

// Batching: commits of up to 20,000 events, the next prepared while one
// commits. A commit is mostly the server's time, and every commit makes a
// part in each table that the server merges later, so fewer, larger
// commits win: a Kafka replay ran 48-58k events/s against 36-45k with the
// default 5,000 (BENCHMARKS.md); 50,000 left too few commits to overlap.
func (s *Store) Batching() projections.Batching {
	return projections.Batching{MaxBatch: 20000, Pipeline: true}
}

// orderGroupingNames are the names of orderGroupings, in order.
var orderGroupingNames = func() []string {
	out := make([]string, len(orderGroupings))
	for i, g := range orderGroupings {
		out[i] = groupingName(g)
	}
	return out
}()

// groupingName names a grouping in order_counts.gs.
func groupingName(dims []projections.Dim) string {
	if len(dims) == 0 {
		return "all"
	}
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = string(d)
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), "+")
}

// orderGroupingOf returns the grouping an Orders query reads, if one is kept.
func orderGroupingOf(q projections.SalesQuery) (string, bool) {
	var dims []projections.Dim
	for _, d := range q.GroupBy {
		if d != projections.DimDay {
			dims = append(dims, d)
		}
	}
	if q.Platform != "" {
		dims = append(dims, projections.DimPlatform)
	}
	if q.EnterpriseID != "" {
		dims = append(dims, projections.DimEnterprise)
	}
	if q.VillageID != "" {
		dims = append(dims, projections.DimVillage)
	}
	if q.LivestreamID != "" {
		dims = append(dims, projections.DimLivestream)
	}
	name := groupingName(dims)
	return name, slices.Contains(orderGroupingNames, name)
}

// orderKey is one row key of order_counts.
type orderKey struct {
	gs, day, platform, enterprise, village, livestream string
}

// orderDims are the dimensions of a sale entry that order_counts groups by.
type orderDims struct {
	day, platform, enterprise, village, livestream string
}

func dimsOf(r *projections.LedgerRow) orderDims {
	return orderDims{domain.Day(r.At), r.Platform, r.EnterpriseID, r.VillageID, r.LivestreamID}
}

// key is the key of grouping g (an index of orderGroupings) that d counts in.
func (d orderDims) key(g int) orderKey {
	k := orderKey{gs: orderGroupingNames[g], day: d.day}
	for _, dim := range orderGroupings[g] {
		switch dim {
		case projections.DimPlatform:
			k.platform = d.platform
		case projections.DimEnterprise:
			k.enterprise = d.enterprise
		case projections.DimVillage:
			k.village = d.village
		case projections.DimLivestream:
			k.livestream = d.livestream
		}
	}
	return k
}

// orderKeys appends the keys of every grouping an order's live entries
// count in, each once. An order has a few entries, so a linear search
// beats a map.
func orderKeys(keys []orderKey, entries []projections.LedgerRow) []orderKey {
	for i := range entries {
		r := &entries[i]
		if r.Kind != domain.EntrySale {
			continue
		}
		if i > 0 && sameOrderDims(&entries[i-1], r) {
			continue // the keys of a line's other entries, or of a line sold alike
		}
		d := dimsOf(r)
		for g := range orderGroupings {
			if k := d.key(g); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// maxSetDims bounds the distinct dimensions of an order counted by set.
const maxSetDims = 4

// dimsSet is a set of distinct dimensions, as their ids in dimsSets.dims
// plus one, ascending, zero-padded.
type dimsSet [maxSetDims]int32

// dimsSets counts orders by their set of dimensions.
type dimsSets struct {
	ids   map[orderDims]int32
	dims  []orderDims
	count map[dimsSet]int64
	order []dimsSet // in the order first moved
}

// of returns the set of the sale entries' distinct dimensions, or false
// when there are more than maxSetDims. Entries without a sale give the
// empty set.
func (s *dimsSets) of(entries []projections.LedgerRow) (set dimsSet, ok bool) {
	n := 0
	var last *projections.LedgerRow
	for i := range entries {
		r := &entries[i]
		if r.Kind != domain.EntrySale {
			continue
		}
		if last != nil && sameOrderDims(last, r) {
			continue // the dimensions of a line's other entries, or of a line sold alike
		}
		last = r
		id := s.id(dimsOf(r))
		j := 0
		for j < n && set[j] < id {
			j++
		}
		if j < n && set[j] == id {
			continue
		}
		if n == maxSetDims {
			return set, false
		}
		copy(set[j+1:n+1], set[j:n])
		set[j] = id
		n++
	}
	return set, true
}

func (s *dimsSets) id(d orderDims) int32 {
	if s.ids == nil {
		s.ids = map[orderDims]int32{}
	}
	id, ok := s.ids[d]
	if !ok {
		s.dims = append(s.dims, d)
		id = int32(len(s.dims))
		s.ids[d] = id
	}
	return id
}

// move counts by more orders in the set (fewer when negative).
func (s *dimsSets) move(set dimsSet, by int64) {
	if set[0] == 0 {
		return // the empty set counts nowhere
	}
	if s.count == nil {
		s.count = map[dimsSet]int64{}
	}
	if _, ok := s.count[set]; !ok {
		s.order = append(s.order, set)
	}
	s.count[set] += by
}

// orderCountsInsert is the batch's change to order_counts.
//
// An order counts once in each grouping key that one of its live sale
// entries falls in, so a batch moves a key by +1 for every changed order
// in it after the batch and -1 for every one in it before (an order in it
// both times cancels out). Those keys follow from the set of the order's
// distinct dimensions (day, platform, enterprise, village, livestream),
// and most orders share their set with many others: the orders are
// counted by set, and each set's keys are moved by its count at the end
// — a few map operations per order rather than one per order and key. An
// order of more than maxSetDims distinct dimensions has its keys moved on
// its own.
func orderCountsInsert(changes []projections.OrderChange, batch, gen uint64) *insert {
	delta := map[orderKey]int64{}
	var order []orderKey
	move := func(k orderKey, by int64) {
		if _, ok := delta[k]; !ok {
			order = append(order, k)
		}
		delta[k] += by
	}
	var sets dimsSets
	var keys []orderKey
	for _, c := range changes {
		for _, side := range [2]struct {
			entries []projections.LedgerRow
			by      int64
		}{{c.Before, -1}, {c.After, 1}} {
			if set, ok := sets.of(side.entries); ok {
				sets.move(set, side.by)
				continue
			}
			keys = orderKeys(keys[:0], side.entries)
			for _, k := range keys {
				move(k, side.by)
			}
		}
	}
	for _, set := range sets.order {
		n := sets.count[set]
		if n == 0 {
			continue
		}
		keys = keys[:0]
		for _, id := range set {
			if id == 0 {
				break
			}
			for g := range orderGroupings {
				if k := sets.dims[id-1].key(g); !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		for _, k := range keys {
			move(k, n)
		}
	}
	slices.SortFunc(order, func(a, b orderKey) int {
		return cmp.Or(cmp.Compare(a.gs, b.gs), cmp.Compare(a.day, b.day), cmp.Compare(a.platform, b.platform),
			cmp.Compare(a.enterprise, b.enterprise), cmp.Compare(a.village, b.village), cmp.Compare(a.livestream, b.livestream))
	})
	var gs, day, platform, enterprise, village, livestream col[string]
	var orders col[int64]
	var gn, bt col[uint64]
	for _, k := range order {
		if delta[k] == 0 {
			continue
		}
		gs.add(k.gs)
		day.add(k.day)
		platform.add(k.platform)
		enterprise.add(k.enterprise)
		village.add(k.village)
		livestream.add(k.livestream)
		orders.add(delta[k])
		gn.add(gen)
		bt.add(batch)
	}
	return &insert{table: "order_counts",
		columns: []string{"gs", "day", "platform", "enterprise_id", "village_id", "livestream_id", "orders", "gen", "batch"},
		parts:   []part{&gs, &day, &platform, &enterprise, &village, &livestream, &orders, &gn, &bt}}
}

// orderCountKey is order_counts' key, as folded.
const orderCountKey = "gs, day, platform, enterprise_id, village_id, livestream_id"

// Orders counts distinct orders (paid, refunded) and buyers by dimensions:
// paid orders from order_counts where the grouping is kept, the rest from
// the live entries.
func (s *Store) Orders(ctx context.Context, q projections.SalesQuery) ([]projections.OrderRow, error) {
	for _, d := range q.GroupBy {
		if d == projections.DimPartyKind || d == projections.DimPartyID || d == projections.DimProduct {
			return nil, fmt.Errorf("orders cannot be grouped by %q", d)
		}
	}
	cols, err := groupColumns(q.GroupBy)
	if err != nil {
		return nil, err
	}
	batch, gen, err := s.committedState(ctx)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	gs, kept := orderGroupingOf(q)
	if !kept {
		return s.ordersFromEntries(ctx, q, cols, true, true, true)
	}
	rows := map[dims]*projections.OrderRow{}
	var keys []dims
	row := func(d dims) *projections.OrderRow {
		r := rows[d]
		if r == nil {
			r = &projections.OrderRow{Day: d.day, Platform: d.platform, EnterpriseID: d.enterprise, VillageID: d.village, LivestreamID: d.livestream}
			rows[d] = r
			keys = append(keys, d)
		}
		return r
	}
	query := "SELECT " + strings.Join(append(slices.Clone(cols), "toInt64(sum(orders)) AS n"), ", ") + " FROM " + s.t("order_counts") +
		fmt.Sprintf(" WHERE gen = %d AND batch <= %d AND gs = %s", gen, batch, lit(gs)) + where(q, false)
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ")
	}
	query += " HAVING n != 0"
	err = s.query(ctx, query, func(r driver.Rows) error {
		var d dims
		var n int64
		dest := make([]any, 0, len(cols)+1)
		for _, dim := range q.GroupBy {
			dest = append(dest, d.target(dim))
		}
		if err := r.Scan(append(dest, &n)...); err != nil {
			return err
		}
		row(d).Orders = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	if q.WithRefunded || q.WithBuyers {
		more, err := s.ordersFromEntries(ctx, q, cols, false, q.WithRefunded, q.WithBuyers)
		if err != nil {
			return nil, err
		}
		for _, m := range more {
			r := row(dims{day: m.Day, platform: m.Platform, enterprise: m.EnterpriseID, village: m.VillageID, livestream: m.LivestreamID})
			r.RefundedOrders, r.Buyers = m.RefundedOrders, m.Buyers
		}
	}
	slices.SortFunc(keys, func(a, b dims) int {
		for _, dim := range q.GroupBy {
			if c := cmp.Compare(*a.target(dim).(*string), *b.target(dim).(*string)); c != 0 {
				return c
			}
		}
		return 0
	})
	out := make([]projections.OrderRow, 0, len(keys))
	for _, k := range keys {
		out = append(out, *rows[k])
	}
	return out, nil
}

// ordersFromEntries counts from the live entries: paid orders, refunded
// orders and buyers as asked (a count not asked is 0). Only the entries of
// the kinds it counts are read.
func (s *Store) ordersFromEntries(ctx context.Context, q projections.SalesQuery, cols []string, paid, refunded, buyers bool) ([]projections.OrderRow, error) {
	zero := "toInt64(0)"
	orders, refunds, buyer := zero, zero, zero
	var kinds []string
	if paid {
		orders = `toInt64(uniqExactIf(platform, order_id, kind = 'sale'))`
	}
	if refunded {
		refunds = `toInt64(uniqExactIf(platform, order_id, kind = 'refund'))`
		kinds = append(kinds, lit(string(domain.EntryRefund)))
	}
	if buyers {
		// A buyer is (platform, buyer); an order without a buyer id is its
		// own buyer (platform, "", order).
		buyer = `toInt64(uniqExactIf(platform, buyer_ref, if(buyer_ref != '', '', order_id), kind = 'sale'))`
	}
	if paid || buyers {
		kinds = append(kinds, lit(string(domain.EntrySale)))
	}
	// where(q) filters the livestream too; liveEntries reads it from
	// livestream_entries, and refunds alone from refund_entries.
	filter := where(q, false) + " AND kind IN (" + strings.Join(kinds, ", ") + ")"
	inner := append([]string{"platform", "order_id", "kind", "buyer_ref"}, cols...)
	sel := append(slices.Clone(cols), orders, refunds, buyer)
	live, err := s.liveEntries(ctx, inner, filter, entrySource{livestream: q.LivestreamID, refundsOnly: !paid && !buyers})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + live + groupBy(cols)
	var out []projections.OrderRow
	err = s.query(ctx, query, func(r driver.Rows) error {
		var d dims
		var row projections.OrderRow
		dest := make([]any, 0, len(sel))
		for _, dim := range q.GroupBy {
			dest = append(dest, d.target(dim))
		}
		if err := r.Scan(append(dest, &row.Orders, &row.RefundedOrders, &row.Buyers)...); err != nil {
			return err
		}
		row.Day, row.Platform, row.EnterpriseID, row.VillageID, row.LivestreamID = d.day, d.platform, d.enterprise, d.village, d.livestream
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	return out, nil
}

// sameOrderDims reports whether two sale entries give the same order keys.
func sameOrderDims(a, b *projections.LedgerRow) bool {
	return a.Kind == b.Kind && a.At.Equal(b.At) && a.Platform == b.Platform && a.EnterpriseID == b.EnterpriseID &&
		a.VillageID == b.VillageID && a.LivestreamID == b.LivestreamID
}
