package clickhouse

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// where builds the conditions of a SalesQuery (each starting with AND);
// party filters only where the table has one row per party.
func where(q projections.SalesQuery, withParty bool) string {
	var b strings.Builder
	add := func(column, op, v string) { b.WriteString(" AND " + column + " " + op + " " + lit(v)) }
	if q.From != "" {
		add("day", ">=", q.From)
	}
	if q.To != "" {
		add("day", "<=", q.To)
	}
	if q.Platform != "" {
		add("platform", "=", q.Platform)
	}
	if q.EnterpriseID != "" {
		add("enterprise_id", "=", q.EnterpriseID)
	}
	if q.VillageID != "" {
		add("village_id", "=", q.VillageID)
	}
	if q.LivestreamID != "" {
		add("livestream_id", "=", q.LivestreamID)
	}
	if withParty && q.PartyKind != "" {
		add("party_kind", "=", string(q.PartyKind))
	}
	if withParty && q.PartyID != "" {
		add("party_id", "=", q.PartyID)
	}
	return b.String()
}

func groupColumns(dims []projections.Dim) ([]string, error) {
	cols := make([]string, len(dims))
	for i, d := range dims {
		switch d {
		case projections.DimDay, projections.DimPlatform, projections.DimProduct, projections.DimEnterprise,
			projections.DimVillage, projections.DimLivestream, projections.DimPartyKind, projections.DimPartyID:
			cols[i] = string(d)
		default:
			return nil, fmt.Errorf("cannot group by %q", d)
		}
	}
	return cols, nil
}

// groupBy renders GROUP BY and ORDER BY for the columns ("" for none).
func groupBy(cols []string) string {
	if len(cols) == 0 {
		return ""
	}
	list := strings.Join(cols, ", ")
	return " GROUP BY " + list + " ORDER BY " + list
}

// dims holds the scanned group columns of a row.
type dims struct {
	day, platform, product, enterprise, village, livestream, kind, party string
}

func (d *dims) target(dim projections.Dim) any {
	switch dim {
	case projections.DimDay:
		return &d.day
	case projections.DimPlatform:
		return &d.platform
	case projections.DimProduct:
		return &d.product
	case projections.DimEnterprise:
		return &d.enterprise
	case projections.DimVillage:
		return &d.village
	case projections.DimLivestream:
		return &d.livestream
	case projections.DimPartyKind:
		return &d.kind
	default:
		return &d.party
	}
}

// Sales sums sales_rollup by the query's dimensions.
func (s *Store) Sales(ctx context.Context, q projections.SalesQuery) ([]projections.SalesRow, error) {
	cols, err := groupColumns(q.GroupBy)
	if err != nil {
		return nil, err
	}
	vis, err := s.visibleRollup(ctx)
	// Without a party to filter or group by, the summary (summed over
	// party_id, a twentieth of the rows here) answers alike.
	table := s.t("sales_summary")
	if q.PartyID != "" || slices.Contains(q.GroupBy, projections.DimPartyID) {
		table = s.t("sales_rollup")
	}
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	sel := append(slices.Clone(cols), "toInt64(sum(sales_fen))", "toInt64(sum(refunds_fen))")
	query := "SELECT " + strings.Join(sel, ", ") + " FROM " + table +
		" WHERE " + vis + where(q, true) + groupBy(cols)
	var out []projections.SalesRow
	err = s.query(ctx, query, func(r driver.Rows) error {
		var d dims
		var sales, refunds int64
		dest := make([]any, 0, len(sel))
		for _, dim := range q.GroupBy {
			dest = append(dest, d.target(dim))
		}
		if err := r.Scan(append(dest, &sales, &refunds)...); err != nil {
			return err
		}
		out = append(out, projections.SalesRow{Day: d.day, Platform: d.platform, Product: d.product, EnterpriseID: d.enterprise,
			VillageID: d.village, LivestreamID: d.livestream, PartyKind: domain.PartyKind(d.kind), PartyID: d.party,
			SalesFen: domain.Fen(sales), RefundsFen: domain.Fen(refunds)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sales: %w", err)
	}
	return out, nil
}

// entrySource says which entries a query needs (see liveEntries).
type entrySource struct {
	livestream  string // only this livestream's
	refundsOnly bool   // only refunds
}

// liveEntries is a subquery of the entries that stand (added and not
// retracted) as of the last committed batch, with the given columns besides
// the key; amount is the entry's current amount.
//
// An entry stands while its signs sum to more than 0. Nearly every entry is
// added once and never retracted (a commit adds an entry once; a change
// retracts it first): those stand as their one row says, with no grouping.
// Only entries with a retraction row (few: a line's entries change when
// refunds arrive out of order) are grouped by key and summed. Which those
// are, retracted_entries says; its keys' hashes are read once per
// committed batch and put in the query as a list (none: no grouping at
// all). A hash shared with a retracted entry only sends an entry to the
// grouped part, which is exact for any entry. An entry's attributes never
// change, so the filter may come before the grouping.
//
// src narrows the entries read to a smaller table where it can: one
// livestream's entries from livestream_entries (sorted by livestream), only
// refunds from refund_entries, rather than a scan of every entry.
func (s *Store) liveEntries(ctx context.Context, columns []string, filter string, src entrySource) (string, error) {
	c, err := s.lastCommitted(ctx)
	if err != nil {
		return "", err
	}
	retracted, err := s.retractedKeys(ctx, c)
	if err != nil {
		return "", err
	}
	vis := fmt.Sprintf("batch <= %d", c.batch)
	table := s.t("entries")
	switch {
	case src.livestream != "":
		table = s.t("livestream_entries")
		filter += " AND livestream_id = " + lit(src.livestream)
	case src.refundsOnly:
		table = s.t("refund_entries")
	}
	key := []string{"platform", "order_id", "line_id", "entry_id"}
	group := slices.Clone(key)
	var plain, summed []string
	for _, c := range columns {
		if c == "amount" {
			plain = append(plain, "amount_fen AS amount")
			summed = append(summed, "sum(sign * amount_fen) AS amount")
			continue
		}
		if !slices.Contains(group, c) {
			group = append(group, c)
		}
		plain = append(plain, c)
		summed = append(summed, c)
	}
	if retracted == "" {
		return "(SELECT " + strings.Join(plain, ", ") + " FROM " + table + " WHERE " + vis + filter + " AND sign > 0)", nil
	}
	hash := "cityHash64(" + strings.Join(key, ", ") + ")"
	return "(SELECT " + strings.Join(plain, ", ") + " FROM " + table +
		" WHERE " + vis + filter + " AND sign > 0 AND " + hash + " NOT IN " + retracted +
		" UNION ALL SELECT " + strings.Join(summed, ", ") + " FROM " + table +
		" WHERE " + vis + filter + " AND " + hash + " IN " + retracted +
		" GROUP BY " + strings.Join(group, ", ") + " HAVING sum(sign) > 0)", nil
}

// maxListedRetractions bounds the retracted keys put in a query as a list;
// past it the query reads them from retracted_entries itself.
var maxListedRetractions = 5000

// retractedKeys returns the hashes of the retracted entries as of the
// committed batch, as an IN list ("" for none), read once per batch and writer.
func (s *Store) retractedKeys(ctx context.Context, c committed) (string, error) {
	key := fmt.Sprintf("%d/%s", c.batch, c.writer)
	s.retractedMu.Lock()
	if s.retractedKey == key {
		list := s.retractedList
		s.retractedMu.Unlock()
		return list, nil
	}
	s.retractedMu.Unlock()
	hash := "cityHash64(platform, order_id, line_id, entry_id)"
	from := fmt.Sprintf(" FROM %s WHERE batch <= %d", s.t("retracted_entries"), c.batch)
	var n uint64
	if err := s.query(ctx, "SELECT uniqExact("+hash+")"+from, func(r driver.Rows) error { return r.Scan(&n) }); err != nil {
		return "", fmt.Errorf("read the retracted entries: %w", err)
	}
	var list string
	switch {
	case n == 0:
	case n > uint64(max(maxListedRetractions, 0)):
		list = "(SELECT " + hash + from + ")"
	default:
		var hashes []string
		if err := s.query(ctx, "SELECT DISTINCT "+hash+from, func(r driver.Rows) error {
			var h uint64
			if err := r.Scan(&h); err != nil {
				return err
			}
			hashes = append(hashes, strconv.FormatUint(h, 10))
			return nil
		}); err != nil {
			return "", fmt.Errorf("read the retracted entries: %w", err)
		}
		list = "(" + strings.Join(hashes, ",") + ")"
	}
	s.retractedMu.Lock()
	s.retractedKey, s.retractedList = key, list
	s.retractedMu.Unlock()
	return list, nil
}

// Income sums recorded income per household in the period.
func (s *Store) Income(ctx context.Context, p projections.Period) (map[string]domain.Fen, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("income: %w", err)
	}
	out := map[string]domain.Fen{}
	// LIMIT 1 BY: an income event counts once, should it ever be stored twice.
	query := `SELECT household_id, toInt64(sum(amount_fen)) FROM (SELECT household_id, amount_fen FROM ` + s.t("income") +
		` WHERE ` + vis + where(projections.SalesQuery{Period: p}, false) +
		` LIMIT 1 BY event_id) GROUP BY household_id`
	err = s.query(ctx, query, func(r driver.Rows) error {
		var id string
		var v int64
		if err := r.Scan(&id, &v); err != nil {
			return err
		}
		out[id] = domain.Fen(v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("income: %w", err)
	}
	return out, nil
}

// IncomeByKind sums recorded income per household and kind in the period.
func (s *Store) IncomeByKind(ctx context.Context, p projections.Period, householdID string) ([]projections.IncomeRow, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("income by kind: %w", err)
	}
	filter := where(projections.SalesQuery{Period: p}, false)
	if householdID != "" {
		filter += " AND household_id = " + lit(householdID)
	}
	var out []projections.IncomeRow
	// LIMIT 1 BY: an income event counts once, should it ever be stored twice.
	query := `SELECT household_id, kind, toInt64(sum(amount_fen)) FROM (SELECT household_id, kind, amount_fen FROM ` + s.t("income") +
		` WHERE ` + vis + filter + ` LIMIT 1 BY event_id) GROUP BY household_id, kind ORDER BY household_id, kind`
	err = s.query(ctx, query, func(r driver.Rows) error {
		var row projections.IncomeRow
		var v int64
		if err := r.Scan(&row.HouseholdID, &row.Kind, &v); err != nil {
			return err
		}
		row.AmountFen = domain.Fen(v)
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("income by kind: %w", err)
	}
	return out, nil
}

// LivestreamMinutes returns a livestream's figures per China-time minute.
func (s *Store) LivestreamMinutes(ctx context.Context, id string) ([]projections.MinuteRow, error) {
	live, err := s.liveEntries(ctx, []string{"order_id", "kind", "minute", "amount"}, "", entrySource{livestream: id})
	if err != nil {
		return nil, fmt.Errorf("livestream minutes: %w", err)
	}
	query := `SELECT minute, toInt64(uniqExactIf(order_id, kind = 'sale')),
			toInt64(sumIf(amount, kind = 'sale')), toInt64(-sumIf(amount, kind = 'refund'))
		FROM ` + live +
		` GROUP BY minute ORDER BY minute`
	var out []projections.MinuteRow
	err = s.query(ctx, query, func(r driver.Rows) error {
		var m projections.MinuteRow
		var sales, refunds int64
		if err := r.Scan(&m.Minute, &m.Orders, &sales, &refunds); err != nil {
			return err
		}
		m.SalesFen, m.RefundsFen = domain.Fen(sales), domain.Fen(refunds)
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("livestream minutes: %w", err)
	}
	return out, nil
}

// Livestreams lists every livestream seen, with the last anchor name known.
func (s *Store) Livestreams(ctx context.Context) ([]projections.LivestreamInfo, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("livestreams: %w", err)
	}
	var out []projections.LivestreamInfo
	err = s.query(ctx, `SELECT id, argMin(platform, batch), argMin(room_id, batch), argMaxIf(anchor_name, batch, anchor_name != '')
		FROM `+s.t("livestreams")+` WHERE `+vis+` GROUP BY id ORDER BY id`, func(r driver.Rows) error {
		var l projections.LivestreamInfo
		if err := r.Scan(&l.ID, &l.Platform, &l.RoomID, &l.AnchorName); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("livestreams: %w", err)
	}
	return out, nil
}

// LivestreamSales sums the period's rollup grouped by livestream (one
// query, reading the period's parts) and describes each livestream from
// livestreams (a row per livestream, not per sale); the two are joined here
// rather than in SQL because each reads its table at its own visible batch.
func (s *Store) LivestreamSales(ctx context.Context, p projections.Period, enterpriseID string) ([]projections.LivestreamSalesRow, error) {
	sums, err := s.Sales(ctx, projections.SalesQuery{Period: p, EnterpriseID: enterpriseID, GroupBy: []projections.Dim{projections.DimLivestream}})
	if err != nil {
		return nil, fmt.Errorf("livestream sales: %w", err)
	}
	if len(sums) == 0 || (len(sums) == 1 && sums[0].LivestreamID == "") {
		return nil, nil
	}
	infos, err := s.Livestreams(ctx)
	if err != nil {
		return nil, fmt.Errorf("livestream sales: %w", err)
	}
	described := make(map[string]projections.LivestreamInfo, len(infos))
	for _, l := range infos {
		described[l.ID] = l
	}
	var out []projections.LivestreamSalesRow
	for _, r := range sums { // in livestream order
		if l, ok := described[r.LivestreamID]; ok {
			out = append(out, projections.LivestreamSalesRow{LivestreamInfo: l, SalesFen: r.SalesFen, RefundsFen: r.RefundsFen})
		}
	}
	return out, nil
}

// UnattributedSKUs sums the live unattributed entries by platform SKU.
func (s *Store) UnattributedSKUs(ctx context.Context, p projections.Period) ([]projections.UnattributedSKU, error) {
	filter := where(projections.SalesQuery{Period: p}, false) + " AND attributed = 0"
	live, err := s.liveEntries(ctx, []string{"platform", "order_id", "line_id", "sku_id", "product", "kind", "at", "amount"}, filter, entrySource{})
	if err != nil {
		return nil, fmt.Errorf("unattributed: %w", err)
	}
	query := `SELECT platform, sku_id, max(product),
			toInt64(uniqExactIf(platform, order_id, line_id, kind = 'sale')),
			toInt64(sumIf(amount, kind = 'sale')), toInt64(-sumIf(amount, kind = 'refund')),
			min(at), max(at)
		FROM ` + live +
		` GROUP BY platform, sku_id ORDER BY platform, sku_id`
	var out []projections.UnattributedSKU
	err = s.query(ctx, query, func(r driver.Rows) error {
		var u projections.UnattributedSKU
		var sales, refunds, first, last int64
		if err := r.Scan(&u.Platform, &u.SKUID, &u.ProductName, &u.Lines, &sales, &refunds, &first, &last); err != nil {
			return err
		}
		u.SalesFen, u.RefundsFen = domain.Fen(sales), domain.Fen(refunds)
		u.FirstAt, u.LastAt = time.Unix(first, 0).In(domain.ChinaTime), time.Unix(last, 0).In(domain.ChinaTime)
		out = append(out, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("unattributed: %w", err)
	}
	return out, nil
}

// DeadLetters lists dead letters, newest first, and their total; a dead
// letter stored twice is its first stored copy.
func (s *Store) DeadLetters(ctx context.Context, limit, offset int) ([]domain.DeadLetter, int, error) {
	var total uint64
	if err := s.query(ctx, `SELECT uniqExact(id) FROM `+s.t("dead_letters"), func(r driver.Rows) error {
		return r.Scan(&total)
	}); err != nil {
		return nil, 0, fmt.Errorf("count dead letters: %w", err)
	}
	if limit < 0 { // SQLite: no limit
		limit = math.MaxInt32
	}
	var out []domain.DeadLetter
	err := s.query(ctx, fmt.Sprintf(`SELECT id, argMax(source, version), argMax(reason, version), argMax(raw, version),
			argMax(received_at, version) AS received
		FROM %s GROUP BY id ORDER BY received DESC, id LIMIT %d, %d`, s.t("dead_letters"), max(offset, 0), limit), func(r driver.Rows) error {
		var dl domain.DeadLetter
		var raw string
		var at int64
		if err := r.Scan(&dl.ID, &dl.Source, &dl.Reason, &raw, &at); err != nil {
			return err
		}
		dl.Raw = []byte(raw)
		dl.ReceivedAt = time.Unix(0, at).In(domain.ChinaTime)
		out = append(out, dl)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("dead letters: %w", err)
	}
	return out, int(total), nil
}

// HouseholdLedger returns the household's live shares of the live entries
// in the period. Its shares are in shares (and, written before schema 8,
// in ledger), signed like their entries: a share stands while its signs
// sum to more than 0, at the amount its signed amounts sum to. The entries
// side reads the period's part of entries (sorted by day). Both sides are
// named: current ClickHouse refuses a join of unnamed subqueries.
func (s *Store) HouseholdLedger(ctx context.Context, householdID string, p projections.Period) ([]projections.LedgerRow, error) {
	c, err := s.lastCommitted(ctx)
	if err != nil {
		return nil, fmt.Errorf("household ledger: %w", err)
	}
	live, err := s.liveEntries(ctx, []string{"platform", "order_id", "line_id", "entry_id", "kind", "at", "sku_id", "product",
		"enterprise_id", "village_id", "livestream_id"}, where(projections.SalesQuery{Period: p}, false), entrySource{})
	if err != nil {
		return nil, fmt.Errorf("household ledger: %w", err)
	}
	party := fmt.Sprintf(" WHERE batch <= %d AND party_kind = 'household' AND party_id = %s", c.batch, lit(householdID))
	shares := `(SELECT entry_id, toInt64(sum(sign * amount_fen)) AS share FROM (` +
		`SELECT entry_id, sign, amount_fen FROM ` + s.t("shares") + party +
		` UNION ALL SELECT entry_id, sign, amount_fen FROM ` + s.t("ledger") + party +
		`) GROUP BY entry_id HAVING sum(sign) > 0)`
	query := `SELECT platform, order_id, line_id, entry_id, kind, at, sku_id, product, enterprise_id, village_id, livestream_id, share
		FROM ` + live + ` AS e ALL INNER JOIN ` + shares + ` AS s USING entry_id
		ORDER BY at, platform, order_id, line_id, entry_id`
	var out []projections.LedgerRow
	err = s.query(ctx, query, func(r driver.Rows) error {
		row := projections.LedgerRow{PartyKind: domain.PartyHousehold, PartyID: householdID}
		var kind string
		var at, amount int64
		if err := r.Scan(&row.Platform, &row.OrderID, &row.LineID, &row.EntryID, &kind, &at,
			&row.SKUID, &row.Product, &row.EnterpriseID, &row.VillageID, &row.LivestreamID, &amount); err != nil {
			return err
		}
		row.Kind, row.At, row.AmountFen = domain.EntryKind(kind), time.Unix(at, 0).In(domain.ChinaTime), domain.Fen(amount)
		out = append(out, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("household ledger: %w", err)
	}
	return out, nil
}

// HouseholdIncome returns the household's income records in the period,
// each once (LIMIT 1 BY, as Income).
func (s *Store) HouseholdIncome(ctx context.Context, householdID string, p projections.Period) ([]projections.IncomeRecord, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("household income: %w", err)
	}
	query := `SELECT event_id, kind, amount_fen, enterprise_id, occurred_at, reference FROM (SELECT * FROM ` + s.t("income") +
		` WHERE ` + vis + ` AND household_id = ` + lit(householdID) + where(projections.SalesQuery{Period: p}, false) +
		` LIMIT 1 BY event_id) ORDER BY occurred_at, event_id`
	var out []projections.IncomeRecord
	err = s.query(ctx, query, func(r driver.Rows) error {
		rec := projections.IncomeRecord{IncomeRecorded: domain.IncomeRecorded{HouseholdID: householdID}}
		var amount, at int64
		if err := r.Scan(&rec.EventID, &rec.Kind, &amount, &rec.EnterpriseID, &at, &rec.Reference); err != nil {
			return err
		}
		rec.AmountFen, rec.OccurredAt = domain.Fen(amount), time.Unix(at, 0).In(domain.ChinaTime)
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("household income: %w", err)
	}
	return out, nil
}
