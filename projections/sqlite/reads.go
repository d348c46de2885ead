package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// where builds the filter of a SalesQuery; party filters only where the
// table has one row per party.
func where(q projections.SalesQuery, withParty bool) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		conds = append(conds, cond)
		args = append(args, v)
	}
	if q.From != "" {
		add("day >= ?", q.From)
	}
	if q.To != "" {
		add("day <= ?", q.To)
	}
	if q.Platform != "" {
		add("platform = ?", q.Platform)
	}
	if q.EnterpriseID != "" {
		add("enterprise_id = ?", q.EnterpriseID)
	}
	if q.VillageID != "" {
		add("village_id = ?", q.VillageID)
	}
	if q.LivestreamID != "" {
		add("livestream_id = ?", q.LivestreamID)
	}
	if withParty && q.PartyKind != "" {
		add("party_kind = ?", string(q.PartyKind))
	}
	if withParty && q.PartyID != "" {
		add("party_id = ?", q.PartyID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
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

// dimTarget points a scanned group column at its field of a row.
func dimTarget(d projections.Dim, day, platform, product, enterprise, village, livestream *string, kind *domain.PartyKind, party *string) any {
	switch d {
	case projections.DimDay:
		return day
	case projections.DimPlatform:
		return platform
	case projections.DimProduct:
		return product
	case projections.DimEnterprise:
		return enterprise
	case projections.DimVillage:
		return village
	case projections.DimLivestream:
		return livestream
	case projections.DimPartyKind:
		return kind
	default:
		return party
	}
}

// Income sums recorded income per household in the period.
func (s *Store) Income(ctx context.Context, p projections.Period) (map[string]domain.Fen, error) {
	filter, args := where(projections.SalesQuery{Period: p}, false)
	out := map[string]domain.Fen{}
	err := scanAll(ctx, s.queries, `SELECT household_id, SUM(amount_fen) FROM income`+filter+` GROUP BY household_id`, func(r *sql.Rows) error {
		var id string
		var v domain.Fen
		if err := r.Scan(&id, &v); err != nil {
			return err
		}
		out[id] = v
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("income: %w", err)
	}
	return out, nil
}

// IncomeByKind sums recorded income per household and kind in the period.
func (s *Store) IncomeByKind(ctx context.Context, p projections.Period, householdID string) ([]projections.IncomeRow, error) {
	filter, args := where(projections.SalesQuery{Period: p}, false)
	if householdID != "" {
		if filter == "" {
			filter = " WHERE household_id = ?"
		} else {
			filter += " AND household_id = ?"
		}
		args = append(args, householdID)
	}
	var out []projections.IncomeRow
	err := scanAll(ctx, s.queries, `SELECT household_id, kind, SUM(amount_fen) FROM income`+filter+` GROUP BY household_id, kind ORDER BY household_id, kind`, func(r *sql.Rows) error {
		var row projections.IncomeRow
		if err := r.Scan(&row.HouseholdID, &row.Kind, &row.AmountFen); err != nil {
			return err
		}
		out = append(out, row)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("income by kind: %w", err)
	}
	return out, nil
}

// LivestreamMinutes returns a livestream's figures per China-time minute,
// from the index entries_livestream_minutes, which holds only the entries
// sold through a livestream (the condition that the id is not empty lets SQLite use it).
func (s *Store) LivestreamMinutes(ctx context.Context, id string) ([]projections.MinuteRow, error) {
	var out []projections.MinuteRow
	err := scanAll(ctx, s.queries, `SELECT minute,
			COUNT(DISTINCT CASE WHEN kind = 'sale' THEN order_id END),
			COALESCE(SUM(CASE WHEN kind = 'sale' THEN amount_fen END), 0),
			COALESCE(-SUM(CASE WHEN kind = 'refund' THEN amount_fen END), 0)
		FROM entries WHERE livestream_id = ? AND livestream_id <> '' GROUP BY minute ORDER BY minute`, func(r *sql.Rows) error {
		var m projections.MinuteRow
		if err := r.Scan(&m.Minute, &m.Orders, &m.SalesFen, &m.RefundsFen); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	}, id)
	if err != nil {
		return nil, fmt.Errorf("livestream minutes: %w", err)
	}
	return out, nil
}

// Livestreams lists every livestream seen.
func (s *Store) Livestreams(ctx context.Context) ([]projections.LivestreamInfo, error) {
	var out []projections.LivestreamInfo
	err := scanAll(ctx, s.queries, `SELECT id, platform, room_id, anchor_name FROM livestreams ORDER BY id`, func(r *sql.Rows) error {
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

// LivestreamSales sums sales_livestream_day by livestream over the period
// — through the index sales_livestream_day_day (or, for one enterprise,
// sales_livestream_day_enterprise), so that it reads the period's rows —
// and describes each livestream from livestreams, looked up by id (CROSS
// JOIN keeps SQLite from reading every livestream ever seen instead, and
// searching each one's rows).
func (s *Store) LivestreamSales(ctx context.Context, p projections.Period, enterpriseID string) ([]projections.LivestreamSalesRow, error) {
	var conds []string
	var args []any
	if enterpriseID != "" {
		conds = append(conds, "sales_livestream_day.enterprise_id = ?")
		args = append(args, enterpriseID)
	}
	if p.From != "" {
		conds = append(conds, "sales_livestream_day.day >= ?")
		args = append(args, p.From)
	}
	if p.To != "" {
		conds = append(conds, "sales_livestream_day.day <= ?")
		args = append(args, p.To)
	}
	query := `SELECT livestreams.id, livestreams.platform, livestreams.room_id, livestreams.anchor_name,
			SUM(sales_livestream_day.sales_fen), SUM(sales_livestream_day.refunds_fen)
		FROM sales_livestream_day CROSS JOIN livestreams ON livestreams.id = sales_livestream_day.livestream_id`
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " GROUP BY sales_livestream_day.livestream_id ORDER BY sales_livestream_day.livestream_id"
	var out []projections.LivestreamSalesRow
	err := scanAll(ctx, s.queries, query, func(r *sql.Rows) error {
		var l projections.LivestreamSalesRow
		if err := r.Scan(&l.ID, &l.Platform, &l.RoomID, &l.AnchorName, &l.SalesFen, &l.RefundsFen); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("livestream sales: %w", err)
	}
	return out, nil
}

// UnattributedSKUs sums unattributed ledger entries by platform SKU, from
// the index entries_unattributed_day, which holds only them. It is named:
// over all time SQLite would rather read every entry in key order, for the
// grouping.
func (s *Store) UnattributedSKUs(ctx context.Context, p projections.Period) ([]projections.UnattributedSKU, error) {
	filter, args := where(projections.SalesQuery{Period: p}, false)
	if filter == "" {
		filter = " WHERE attributed = 0"
	} else {
		filter += " AND attributed = 0"
	}
	var out []projections.UnattributedSKU
	err := scanAll(ctx, s.queries, `SELECT platform, sku_id, MAX(product),
			COUNT(DISTINCT CASE WHEN kind = 'sale' THEN platform || '/' || order_id || '/' || line_id END),
			COALESCE(SUM(CASE WHEN kind = 'sale' THEN amount_fen END), 0),
			COALESCE(-SUM(CASE WHEN kind = 'refund' THEN amount_fen END), 0),
			MIN(at), MAX(at)
		FROM entries INDEXED BY entries_unattributed_day`+filter+` GROUP BY platform, sku_id ORDER BY platform, sku_id`, func(r *sql.Rows) error {
		var u projections.UnattributedSKU
		var first, last int64
		if err := r.Scan(&u.Platform, &u.SKUID, &u.ProductName, &u.Lines, &u.SalesFen, &u.RefundsFen, &first, &last); err != nil {
			return err
		}
		u.FirstAt, u.LastAt = time.Unix(first, 0).In(domain.ChinaTime), time.Unix(last, 0).In(domain.ChinaTime)
		out = append(out, u)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("unattributed: %w", err)
	}
	return out, nil
}

// DeadLetters lists dead letters, newest first, and their total.
func (s *Store) DeadLetters(ctx context.Context, limit, offset int) ([]domain.DeadLetter, int, error) {
	var total int
	if err := s.queries.QueryRowContext(ctx, `SELECT COUNT(*) FROM dead_letters`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count dead letters: %w", err)
	}
	var out []domain.DeadLetter
	err := scanAll(ctx, s.queries, `SELECT id, source, reason, raw, received_at FROM dead_letters
		ORDER BY received_at DESC, id LIMIT ? OFFSET ?`, func(r *sql.Rows) error {
		var dl domain.DeadLetter
		var at int64
		if err := r.Scan(&dl.ID, &dl.Source, &dl.Reason, &dl.Raw, &at); err != nil {
			return err
		}
		dl.ReceivedAt = time.Unix(0, at).In(domain.ChinaTime)
		out = append(out, dl)
		return nil
	}, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("dead letters: %w", err)
	}
	return out, total, nil
}

// HouseholdLedger returns the household's shares of the entries in the
// period: its shares from the partial index ledger_household, each joined
// to its entry by the entry's key.
func (s *Store) HouseholdLedger(ctx context.Context, householdID string, p projections.Period) ([]projections.LedgerRow, error) {
	query := `SELECT entries.platform, entries.order_id, entries.line_id, entries.entry_id, entries.kind, entries.at,
			entries.sku_id, entries.product, entries.enterprise_id, entries.village_id, entries.livestream_id, ledger.amount_fen
		FROM ledger INDEXED BY ledger_household JOIN entries ON entries.id = ledger.entry
		WHERE ledger.party_kind = 'household' AND ledger.party_id = ?`
	args := []any{householdID}
	if p.From != "" {
		query += ` AND entries.day >= ?`
		args = append(args, p.From)
	}
	if p.To != "" {
		query += ` AND entries.day <= ?`
		args = append(args, p.To)
	}
	query += ` ORDER BY entries.at, entries.platform, entries.order_id, entries.line_id, entries.entry_id`
	var out []projections.LedgerRow
	err := scanAll(ctx, s.queries, query, func(r *sql.Rows) error {
		row := projections.LedgerRow{PartyKind: domain.PartyHousehold, PartyID: householdID}
		var kind string
		var at int64
		if err := r.Scan(&row.Platform, &row.OrderID, &row.LineID, &row.EntryID, &kind, &at,
			&row.SKUID, &row.Product, &row.EnterpriseID, &row.VillageID, &row.LivestreamID, &row.AmountFen); err != nil {
			return err
		}
		row.Kind, row.At = domain.EntryKind(kind), time.Unix(at, 0).In(domain.ChinaTime)
		out = append(out, row)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("household ledger: %w", err)
	}
	return out, nil
}

// HouseholdIncome returns the household's income records in the period,
// from the index income_household.
func (s *Store) HouseholdIncome(ctx context.Context, householdID string, p projections.Period) ([]projections.IncomeRecord, error) {
	query := `SELECT event_id, kind, amount_fen, enterprise_id, occurred_at, reference FROM income WHERE household_id = ?`
	args := []any{householdID}
	if p.From != "" {
		query += ` AND day >= ?`
		args = append(args, p.From)
	}
	if p.To != "" {
		query += ` AND day <= ?`
		args = append(args, p.To)
	}
	query += ` ORDER BY occurred_at, event_id`
	var out []projections.IncomeRecord
	err := scanAll(ctx, s.queries, query, func(r *sql.Rows) error {
		rec := projections.IncomeRecord{IncomeRecorded: domain.IncomeRecorded{HouseholdID: householdID}}
		var at int64
		if err := r.Scan(&rec.EventID, &rec.Kind, &rec.AmountFen, &rec.EnterpriseID, &at, &rec.Reference); err != nil {
			return err
		}
		rec.OccurredAt = time.Unix(at, 0).In(domain.ChinaTime)
		out = append(out, rec)
		return nil
	}, args...)
	if err != nil {
		return nil, fmt.Errorf("household income: %w", err)
	}
	return out, nil
}
