package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// Rollups.
//
// Schema 1 kept one daily rollup keyed by every dimension at once
// (sales_daily): a day of a district held hundreds of rows per party, and
// every answer over a long period summed most of the table. Schema 2 keeps
// instead one small rollup per family of questions the API asks (the same
// shape as the ClickHouse store's), each keyed so that a query reads only its
// period: by China-time day, and for the rollups with a row per party also by
// month, so that an answer over a year reads twelve months and the days at
// its ends instead of 365 days. Commit moves every rollup by the batch's
// differences in the same transaction as the ledger.
//
// A query reads the first rollup whose dimensions hold all of the query's
// filters and groups (the list is ordered smallest first); one that none
// holds (none of the API's) is summed from the entries and their shares.
// Schema 1's sales_daily, keyed by every dimension, is no longer written:
// it was the largest rollup to move, and no answer needs it.

// rollup is one rollup table (and its month table, if it has one).
type rollup struct {
	table string // the day table; the month table's name ends in _month instead of _day
	// cols are the table's key columns in key order, "day" among them.
	cols   []string
	months bool
}

var rollups = []rollup{
	{table: "sales_platform_day", cols: []string{"day", "platform", "party_kind"}},
	{table: "sales_village_day", cols: []string{"day", "village_id"}},
	{table: "sales_livestream_day", cols: []string{"livestream_id", "day", "enterprise_id"}},
	{table: "sales_enterprise_day", cols: []string{"enterprise_id", "day", "product", "village_id", "party_kind"}, months: true},
	{table: "sales_party_day", cols: []string{"party_kind", "day", "party_id", "product"}, months: true},
	{table: "sales_enterprise_party_day", cols: []string{"day", "enterprise_id", "party_kind", "party_id"}, months: true},
}

func (r rollup) monthTable() string { return strings.TrimSuffix(r.table, "_day") + "_month" }

// holds reports whether the rollup has every non-day column in dims.
func (r rollup) holds(dims []string) bool {
	for _, d := range dims {
		if d != "day" && !slices.Contains(r.cols, d) {
			return false
		}
	}
	return true
}

// value returns the key's value of a rollup column, the month's for day
// when month is set.
func keyValue(k *projections.RollupKey, col string, month bool) string {
	switch col {
	case "day":
		if month {
			return k.Day[:7]
		}
		return k.Day
	case "platform":
		return k.Platform
	case "product":
		return k.Product
	case "enterprise_id":
		return k.EnterpriseID
	case "village_id":
		return k.VillageID
	case "livestream_id":
		return k.LivestreamID
	case "party_kind":
		return string(k.PartyKind)
	default: // party_id
		return k.PartyID
	}
}

// upsertSQL is the statement moving rows of a rollup table by deltas, split
// around its VALUES: the head, and the tail (the upsert clause).
func upsertSQL(table string, cols []string) (head, tail string) {
	return `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `, sales_fen, refunds_fen)`,
		`ON CONFLICT (` + strings.Join(cols, ", ") +
			`) DO UPDATE SET sales_fen = sales_fen + excluded.sales_fen, refunds_fen = refunds_fen + excluded.refunds_fen`
}

// rollupTarget is one table a commit moves: a rollup's day or month table.
type rollupTarget struct {
	rollup
	month bool
}

func (t rollupTarget) name() string {
	if t.month {
		return t.monthTable()
	}
	return t.table
}

func rollupTargets() []rollupTarget {
	var out []rollupTarget
	for _, r := range rollups {
		out = append(out, rollupTarget{r, false})
		if r.months {
			out = append(out, rollupTarget{r, true})
		}
	}
	return out
}

// moveRollups moves every rollup table by a batch's rollup: each key of the
// batch whose change is not zero moves its row of each table. A row is
// written even when the keys of a table sum to nothing there, so every
// table has a row for exactly the groups the entries ever had money in
// (the groups Sales answers with, as schema 1's sales_daily had).
// ups are the tables' upsert statements, in rollupTargets order; each
// table's rows go in multi-row statements.
func moveRollups(ctx context.Context, tx *sql.Tx, ups []*batchStmt, batch *projections.Rollup) error {
	type row struct {
		key   string
		args  []any
		delta projections.RollupDelta
	}
	var sb strings.Builder
	for i, t := range rollupTargets() {
		rows := map[string]*row{}
		var order []*row
		for _, k := range batch.Keys {
			d := batch.Deltas[k]
			if d.SalesFen == 0 && d.RefundsFen == 0 {
				continue
			}
			sb.Reset()
			args := make([]any, len(t.cols), len(t.cols)+2)
			for j, c := range t.cols {
				v := keyValue(&k, c, t.month)
				args[j] = v
				sb.WriteString(v)
				sb.WriteByte(0)
			}
			r := rows[sb.String()]
			if r == nil {
				r = &row{key: sb.String(), args: args}
				rows[r.key] = r
				order = append(order, r)
			}
			r.delta.SalesFen += d.SalesFen
			r.delta.RefundsFen += d.RefundsFen
		}
		b := ups[i].in(tx)
		for _, r := range order {
			if err := b.add(ctx, append(r.args, int64(r.delta.SalesFen), int64(r.delta.RefundsFen))...); err != nil {
				return err
			}
		}
		if err := b.flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

// periodParts splits an inclusive period of days into the months it
// covers whole and the days left at either end. A bound "" is open. months
// is false when no month is covered whole; then days[0] is the whole period.
type periodParts struct {
	months             bool
	monthFrom, monthTo string // YYYY-MM, inclusive; "" open
	days               []projections.Period
}

func splitPeriod(p projections.Period) (periodParts, error) {
	var out periodParts
	var firstMonth, lastMonth time.Time // first days of the first and the last month covered whole
	if p.From != "" {
		from, err := domain.ParseDay(p.From)
		if err != nil {
			return out, fmt.Errorf("%w: from: %v", projections.ErrBadRequest, err)
		}
		firstMonth = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, domain.ChinaTime)
		if from.Day() != 1 {
			firstMonth = firstMonth.AddDate(0, 1, 0)
		}
	}
	if p.To != "" {
		to, err := domain.ParseDay(p.To)
		if err != nil {
			return out, fmt.Errorf("%w: to: %v", projections.ErrBadRequest, err)
		}
		lastMonth = time.Date(to.Year(), to.Month(), 1, 0, 0, 0, 0, domain.ChinaTime)
		if to.AddDate(0, 0, 1).Month() == to.Month() { // not the month's last day
			lastMonth = lastMonth.AddDate(0, -1, 0)
		}
	}
	if p.From != "" && p.To != "" && lastMonth.Before(firstMonth) {
		return periodParts{days: []projections.Period{p}}, nil
	}
	out.months = true
	if p.From != "" {
		out.monthFrom = firstMonth.Format("2006-01")
		if d := domain.Day(firstMonth); d > p.From {
			out.days = append(out.days, projections.Period{From: p.From, To: domain.Day(firstMonth.AddDate(0, 0, -1))})
		}
	}
	if p.To != "" {
		out.monthTo = lastMonth.Format("2006-01")
		if next := lastMonth.AddDate(0, 1, 0); domain.Day(next) <= p.To {
			out.days = append(out.days, projections.Period{From: domain.Day(next), To: p.To})
		}
	}
	return out, nil
}

// Sales sums the first rollup that holds the query's dimensions (see above).
func (s *Store) Sales(ctx context.Context, q projections.SalesQuery) ([]projections.SalesRow, error) {
	cols, err := groupColumns(q.GroupBy)
	if err != nil {
		return nil, err
	}
	query, args, err := salesSQL(q, cols)
	if err != nil {
		return nil, err
	}
	var out []projections.SalesRow
	err = scanAll(ctx, s.queries, query, func(r *sql.Rows) error {
		var row projections.SalesRow
		dest := make([]any, 0, len(cols)+2)
		for _, d := range q.GroupBy {
			dest = append(dest, dimTarget(d, &row.Day, &row.Platform, &row.Product, &row.EnterpriseID, &row.VillageID, &row.LivestreamID, &row.PartyKind, &row.PartyID))
		}
		dest = append(dest, &row.SalesFen, &row.RefundsFen)
		if err := r.Scan(dest...); err != nil {
			return err
		}
		out = append(out, row)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	return out, nil
}

// salesSQL is the query of Sales: over a rollup's day table, or its day and
// month tables together, or the entries and shares.
func salesSQL(q projections.SalesQuery, cols []string) (string, []any, error) {
	filters := salesFilters(q)
	dims := slices.Clone(cols)
	for _, f := range filters {
		dims = append(dims, f.col)
	}
	i := slices.IndexFunc(rollups, func(r rollup) bool { return r.holds(dims) })
	if i < 0 {
		query, args := ledgerSalesSQL(q, cols, filters)
		return query, args, nil
	}
	r := rollups[i]
	grouped := slices.Contains(cols, "day")
	parts := periodParts{days: []projections.Period{q.Period}}
	if r.months && !grouped {
		var err error
		if parts, err = splitPeriod(q.Period); err != nil {
			return "", nil, err
		}
	}
	sums := append(slices.Clone(cols), "COALESCE(SUM(sales_fen), 0)", "COALESCE(SUM(refunds_fen), 0)")
	var from []string // a table and its conditions, for each part
	var args []any
	part := func(table string, p projections.Period) {
		conds := make([]string, 0, len(filters)+2)
		for _, f := range filters {
			conds = append(conds, f.col+" = ?")
			args = append(args, f.value)
		}
		if p.From != "" {
			conds = append(conds, "day >= ?")
			args = append(args, p.From)
		}
		if p.To != "" {
			conds = append(conds, "day <= ?")
			args = append(args, p.To)
		}
		if len(conds) > 0 {
			table += " WHERE " + strings.Join(conds, " AND ")
		}
		from = append(from, table)
	}
	if parts.months {
		part(r.monthTable(), projections.Period{From: parts.monthFrom, To: parts.monthTo})
	}
	for _, d := range parts.days {
		part(r.table, d)
	}
	var query string
	if len(from) == 1 {
		query = "SELECT " + strings.Join(sums, ", ") + " FROM " + from[0]
	} else {
		rows := "SELECT " + strings.Join(append(slices.Clone(cols), "sales_fen", "refunds_fen"), ", ") + " FROM "
		query = "SELECT " + strings.Join(sums, ", ") + " FROM (" + rows + strings.Join(from, " UNION ALL "+rows) + ")"
	}
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(cols, ", ") + " ORDER BY " + strings.Join(cols, ", ")
	}
	return query, args, nil
}

// filter is one equality filter of a query.
type filter struct {
	col   string
	value string
}

func salesFilters(q projections.SalesQuery) []filter {
	var out []filter
	for _, f := range []filter{
		{"platform", q.Platform}, {"enterprise_id", q.EnterpriseID}, {"village_id", q.VillageID},
		{"livestream_id", q.LivestreamID}, {"party_kind", string(q.PartyKind)}, {"party_id", q.PartyID},
	} {
		if f.value != "" {
			out = append(out, f)
		}
	}
	return out
}

// ledgerSalesSQL sums the live entries' shares: the answer to a query no
// rollup holds. Its groups are those with a live share, where a rollup's
// are those money ever moved in (a group whose entries were all retracted
// is not listed).
func ledgerSalesSQL(q projections.SalesQuery, cols []string, filters []filter) (string, []any) {
	var conds []string
	var args []any
	for _, f := range filters {
		conds = append(conds, qualify(f.col)+" = ?")
		args = append(args, f.value)
	}
	if q.From != "" {
		conds = append(conds, "e.day >= ?")
		args = append(args, q.From)
	}
	if q.To != "" {
		conds = append(conds, "e.day <= ?")
		args = append(args, q.To)
	}
	qualified := make([]string, len(cols))
	for i, c := range cols {
		qualified[i] = qualify(c)
	}
	query := "SELECT " + strings.Join(append(slices.Clone(qualified),
		"COALESCE(SUM(CASE WHEN e.kind = 'sale' THEN l.amount_fen END), 0)",
		"COALESCE(-SUM(CASE WHEN e.kind = 'refund' THEN l.amount_fen END), 0)"), ", ") +
		" FROM entries e JOIN ledger l ON l.entry = e.id"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	if len(cols) > 0 {
		query += " GROUP BY " + strings.Join(qualified, ", ") + " ORDER BY " + strings.Join(qualified, ", ")
	}
	return query, args
}

func qualify(col string) string {
	if col == "party_kind" || col == "party_id" {
		return "l." + col
	}
	return "e." + col
}
