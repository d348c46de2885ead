package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// Order counts.
//
// Counting distinct orders over a period's entries reads every entry of the
// period (seconds over a year of a district). All of an order's sale entries
// fall on its payment day, so the orders paid in a period add up day by day:
// order_counts keeps, per China-time day and key of each grouping below, how
// many orders have a live sale entry there, moved ±1 by the projector's
// order changes (Batch.Orders) in the commit's transaction — as the
// ClickHouse store does. Refunded orders and buyers are not additive over
// days; they are counted from the entries, from indexes that hold only the
// refunds or only one livestream, and only when asked.
//
// A grouping's columns are in sorted order.
var orderGroupings = [][]string{
	{},
	{"platform"},
	{"enterprise_id"},
	{"village_id"},
	{"livestream_id"},
	{"enterprise_id", "livestream_id"},
}

// groupingName names a grouping in order_counts.gs.
func groupingName(cols []string) string {
	if len(cols) == 0 {
		return "all"
	}
	return strings.Join(cols, "+")
}

// NeedsOrderChanges is true: Commit moves order_counts by Batch.Orders.
func (s *Store) NeedsOrderChanges() bool { return true }

// orderKey is one row key of order_counts.
type orderKey struct {
	gs, day, platform, enterprise, village, livestream string
}

// orderKeys appends the keys an order's live entries count in, each once.
func orderKeys(keys []orderKey, entries []projections.LedgerRow) []orderKey {
	for i := range entries {
		r := &entries[i]
		if r.Kind != domain.EntrySale {
			continue
		}
		day := domain.Day(r.At)
		for _, g := range orderGroupings {
			k := orderKey{gs: groupingName(g), day: day}
			for _, c := range g {
				switch c {
				case "platform":
					k.platform = r.Platform
				case "enterprise_id":
					k.enterprise = r.EnterpriseID
				case "village_id":
					k.village = r.VillageID
				case "livestream_id":
					k.livestream = r.LivestreamID
				}
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// moveOrderCounts moves order_counts by the batch's order changes; up is
// the upsert statement bound to the transaction.
func moveOrderCounts(ctx context.Context, up *batch, changes []projections.OrderChange) error {
	delta := map[orderKey]int64{}
	var order []orderKey
	var keys []orderKey
	move := func(entries []projections.LedgerRow, by int64) {
		keys = orderKeys(keys[:0], entries)
		for _, k := range keys {
			if _, ok := delta[k]; !ok {
				order = append(order, k)
			}
			delta[k] += by
		}
	}
	for i := range changes {
		move(changes[i].Before, -1)
		move(changes[i].After, 1)
	}
	for _, k := range order {
		d := delta[k]
		if d == 0 {
			continue
		}
		if err := up.add(ctx, k.gs, k.day, k.platform, k.enterprise, k.village, k.livestream, d); err != nil {
			return err
		}
	}
	return up.flush(ctx)
}

// orderGroupingOf returns the grouping of order_counts that answers the
// query's filters and groups (besides the day), if one is kept, and the
// grouping's columns.
func orderGroupingOf(q projections.SalesQuery, cols []string) (string, bool) {
	var dims []string
	for _, c := range cols {
		if c != "day" {
			dims = append(dims, c)
		}
	}
	for _, f := range orderFilters(q) {
		dims = append(dims, f.col)
	}
	slices.Sort(dims)
	dims = slices.Compact(dims) // a column both filtered and grouped by is one dimension
	for _, g := range orderGroupings {
		if slices.Equal(g, dims) {
			return groupingName(g), true
		}
	}
	return "", false
}

func orderFilters(q projections.SalesQuery) []filter {
	var out []filter
	for _, f := range []filter{{"platform", q.Platform}, {"enterprise_id", q.EnterpriseID}, {"village_id", q.VillageID}, {"livestream_id", q.LivestreamID}} {
		if f.value != "" {
			out = append(out, f)
		}
	}
	return out
}

// orderCountsSQL reads paid orders from order_counts: a grouping's rows of
// the period, or of one enterprise or livestream in it (the indexes
// order_counts_enterprise and order_counts_livestream).
func orderCountsSQL(gs string, q projections.SalesQuery, cols []string) (string, []any) {
	conds := []string{"gs = ?"}
	args := []any{gs}
	filters := orderFilters(q)
	for _, f := range filters {
		conds = append(conds, f.col+" = ?")
		args = append(args, f.value)
	}
	if q.From != "" {
		conds = append(conds, "day >= ?")
		args = append(args, q.From)
	}
	if q.To != "" {
		conds = append(conds, "day <= ?")
		args = append(args, q.To)
	}
	query := "SELECT " + strings.Join(append(slices.Clone(cols), "COALESCE(SUM(orders), 0)"), ", ") +
		" FROM order_counts WHERE " + strings.Join(conds, " AND ")
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ") + " HAVING SUM(orders) <> 0 ORDER BY " + strings.Join(cols, ", ")
	}
	return query, args
}

// entriesSQL counts distinct orders (what) over the entries of one kind
// matching the query, from the index that holds that kind: the refunds
// (entries_refunds), a livestream's entries (entries_livestream_minutes),
// or the period's (entries_day).
func entriesSQL(q projections.SalesQuery, cols []string, kind, what string) (string, []any) {
	conds := []string{"kind = '" + kind + "'"}
	var args []any
	for _, f := range orderFilters(q) {
		conds = append(conds, f.col+" = ?")
		args = append(args, f.value)
	}
	if q.LivestreamID != "" {
		conds = append(conds, "livestream_id <> ''") // implies the partial index's condition
	}
	if q.From != "" {
		conds = append(conds, "day >= ?")
		args = append(args, q.From)
	}
	if q.To != "" {
		conds = append(conds, "day <= ?")
		args = append(args, q.To)
	}
	query := "SELECT " + strings.Join(append(slices.Clone(cols), "COUNT(DISTINCT "+what+")"), ", ") +
		" FROM entries WHERE " + strings.Join(conds, " AND ")
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ") + " ORDER BY " + strings.Join(cols, ", ")
	}
	return query, args
}

const (
	distinctOrders = "platform || '/' || order_id"
	distinctBuyers = "platform || '/' || CASE WHEN buyer_ref <> '' THEN 'b:' || buyer_ref ELSE 'o:' || order_id END"
)

// Orders counts paid orders from order_counts (or, for a grouping it does
// not keep, from the entries), and refunded orders and buyers from the
// entries when asked.
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
	var out []projections.OrderRow
	index := map[projections.OrderRow]int{} // a group's row in out, by its dimensions
	read := func(query string, args []any, count func(*projections.OrderRow) *int64) error {
		return scanAll(ctx, s.queries, query, func(r *sql.Rows) error {
			var key projections.OrderRow
			var n int64
			dest := make([]any, 0, len(cols)+1)
			var kind domain.PartyKind
			var party, product string
			for _, d := range q.GroupBy {
				dest = append(dest, dimTarget(d, &key.Day, &key.Platform, &product, &key.EnterpriseID, &key.VillageID, &key.LivestreamID, &kind, &party))
			}
			dest = append(dest, &n)
			if err := r.Scan(dest...); err != nil {
				return err
			}
			i, ok := index[key]
			if !ok {
				i = len(out)
				index[key] = i
				out = append(out, key)
			}
			*count(&out[i]) = n
			return nil
		}, args...)
	}
	paid := func(o *projections.OrderRow) *int64 { return &o.Orders }
	if gs, ok := orderGroupingOf(q, cols); ok {
		query, args := orderCountsSQL(gs, q, cols)
		err = read(query, args, paid)
	} else {
		query, args := entriesSQL(q, cols, "sale", distinctOrders)
		err = read(query, args, paid)
	}
	if err == nil && q.WithRefunded {
		query, args := entriesSQL(q, cols, "refund", distinctOrders)
		err = read(query, args, func(o *projections.OrderRow) *int64 { return &o.RefundedOrders })
	}
	if err == nil && q.WithBuyers {
		query, args := entriesSQL(q, cols, "sale", distinctBuyers)
		err = read(query, args, func(o *projections.OrderRow) *int64 { return &o.Buyers })
	}
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	if len(cols) > 0 {
		slices.SortFunc(out, func(a, b projections.OrderRow) int {
			return strings.Compare(a.Day+"\x00"+a.Platform+"\x00"+a.EnterpriseID+"\x00"+a.VillageID+"\x00"+a.LivestreamID,
				b.Day+"\x00"+b.Platform+"\x00"+b.EnterpriseID+"\x00"+b.VillageID+"\x00"+b.LivestreamID)
		})
	}
	return out, nil
}
