package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// rollupKey is one row of sales_daily.
type rollupKey struct {
	day, platform, product, enterprise, village, livestream string
	partyKind                                               domain.PartyKind
	partyID                                                 string
}

type rollupDelta struct{ sales, refunds domain.Fen }

// ledgerInsertRows is how many ledger rows one INSERT carries (17 values each).
const ledgerInsertRows = 50

const ledgerColumns = `entry_id, party_kind, party_id, kind, at, day, minute, platform, order_id, line_id, sku_id,
	product, enterprise_id, village_id, livestream_id, buyer_ref, amount_fen`

// Commit writes the batch and the consumer's positions in one transaction.
func (s *Store) Commit(ctx context.Context, b *projections.Batch) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()

	for _, e := range b.Registry {
		if err := putRegistry(ctx, tx, e); err != nil {
			return err
		}
	}
	if err := writeLines(ctx, tx, b.Lines); err != nil {
		return err
	}
	for _, in := range b.Income {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO income
			(event_id, household_id, kind, amount_fen, enterprise_id, occurred_at, day, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			in.EventID, in.HouseholdID, in.Kind, in.AmountFen, in.EnterpriseID, in.OccurredAt.Unix(), domain.Day(in.OccurredAt), in.Reference); err != nil {
			return fmt.Errorf("store income %s: %w", in.EventID, err)
		}
	}
	for part, off := range b.Positions {
		if _, err := tx.ExecContext(ctx, `INSERT INTO checkpoints (consumer, partition, log_offset) VALUES (?, ?, ?)
			ON CONFLICT (consumer, partition) DO UPDATE SET log_offset = excluded.log_offset`, b.Consumer, part, off); err != nil {
			return fmt.Errorf("store checkpoint: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func putRegistry(ctx context.Context, tx *sql.Tx, e domain.Event) error {
	var err error
	switch e := e.(type) {
	case *domain.DistrictDefined:
		_, err = tx.ExecContext(ctx, `INSERT INTO district (singleton, id, name, monitoring_line_fen) VALUES (1, ?, ?, ?)
			ON CONFLICT (singleton) DO UPDATE SET id = excluded.id, name = excluded.name, monitoring_line_fen = excluded.monitoring_line_fen`,
			e.District.ID, e.Name, e.MonitoringLineFen)
	case *domain.VillageRegistered:
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO villages (id, name, town) VALUES (?, ?, ?)`, e.Village.ID, e.Name, e.Town)
	case *domain.HouseholdRegistered:
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO households (id, village_id, members, baseline_income_fen, category) VALUES (?, ?, ?, ?, ?)`,
			e.Household.ID, e.VillageID, e.Members, e.BaselineIncomeFen, e.Category)
	case *domain.EnterpriseRegistered:
		paired, _ := json.Marshal(e.PairedVillages)
		if e.PairedVillages == nil {
			paired = []byte("[]")
		}
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO enterprises (id, name, party_branch, paired_villages) VALUES (?, ?, ?, ?)`,
			e.Enterprise.ID, e.Name, e.PartyBranch, string(paired))
	case *domain.ListingPublished:
		raw, _ := json.Marshal(e.Listing)
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO listings (platform, sku_id, effective_from, listing) VALUES (?, ?, ?, ?)`,
			e.Platform, e.SKUID, e.EffectiveFrom.UnixNano(), string(raw))
	default:
		return fmt.Errorf("not a registry event: %s", e.Type())
	}
	if err != nil {
		return fmt.Errorf("store %s: %w", e.Type(), err)
	}
	return nil
}

func writeLines(ctx context.Context, tx *sql.Tx, changes []projections.LineChange) error {
	if len(changes) == 0 {
		return nil
	}
	putState, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO lines (platform, order_id, line_id, state) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer putState.Close()
	del, err := tx.PrepareContext(ctx, `DELETE FROM ledger WHERE entry_id = ? AND party_kind = ? AND party_id = ?`)
	if err != nil {
		return err
	}
	defer del.Close()

	rollup := map[rollupKey]*rollupDelta{}
	livestreams := map[string]projections.LedgerRow{}
	var add []projections.LedgerRow
	for _, c := range changes {
		raw, err := json.Marshal(c.State)
		if err != nil {
			return err
		}
		if _, err := putState.ExecContext(ctx, c.State.Key.Platform, c.State.Key.OrderID, c.State.Key.LineID, raw); err != nil {
			return fmt.Errorf("store line %v: %w", c.State.Key, err)
		}
		for _, r := range c.Retract {
			if _, err := del.ExecContext(ctx, r.EntryID, string(r.PartyKind), r.PartyID); err != nil {
				return fmt.Errorf("retract ledger entry %s: %w", r.EntryID, err)
			}
			addRollup(rollup, r, -1)
		}
		for _, r := range c.Add {
			addRollup(rollup, r, 1)
			if r.LivestreamID != "" {
				livestreams[r.LivestreamID] = r
			}
		}
		add = append(add, c.Add...)
	}
	if err := insertLedger(ctx, tx, add); err != nil {
		return err
	}
	up, err := tx.PrepareContext(ctx, `INSERT INTO sales_daily
		(day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id, sales_fen, refunds_fen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id)
		DO UPDATE SET sales_fen = sales_fen + excluded.sales_fen, refunds_fen = refunds_fen + excluded.refunds_fen`)
	if err != nil {
		return err
	}
	defer up.Close()
	for k, d := range rollup {
		if d.sales == 0 && d.refunds == 0 {
			continue
		}
		if _, err := up.ExecContext(ctx, k.day, k.platform, k.product, k.enterprise, k.village, k.livestream, string(k.partyKind), k.partyID, d.sales, d.refunds); err != nil {
			return fmt.Errorf("update daily rollup: %w", err)
		}
	}
	for id, r := range livestreams {
		room := strings.TrimPrefix(id, r.Platform+":")
		if _, err := tx.ExecContext(ctx, `INSERT INTO livestreams (id, platform, room_id, anchor_name) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET anchor_name = CASE WHEN excluded.anchor_name <> '' THEN excluded.anchor_name ELSE anchor_name END`,
			id, r.Platform, room, r.AnchorName); err != nil {
			return fmt.Errorf("store livestream %s: %w", id, err)
		}
	}
	return nil
}

func addRollup(m map[rollupKey]*rollupDelta, r projections.LedgerRow, sign domain.Fen) {
	k := rollupKey{domain.Day(r.At), r.Platform, r.Product, r.EnterpriseID, r.VillageID, r.LivestreamID, r.PartyKind, r.PartyID}
	d := m[k]
	if d == nil {
		d = &rollupDelta{}
		m[k] = d
	}
	if r.Kind == domain.EntrySale {
		d.sales += sign * r.AmountFen
	} else {
		d.refunds -= sign * r.AmountFen
	}
}

func insertLedger(ctx context.Context, tx *sql.Tx, rows []projections.LedgerRow) error {
	if len(rows) == 0 {
		return nil
	}
	placeholders := "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	full, err := tx.PrepareContext(ctx, `INSERT INTO ledger (`+ledgerColumns+`) VALUES `+
		strings.TrimSuffix(strings.Repeat(placeholders+",", ledgerInsertRows), ","))
	if err != nil {
		return err
	}
	defer full.Close()
	args := make([]any, 0, 17*ledgerInsertRows)
	for start := 0; start < len(rows); start += ledgerInsertRows {
		chunk := rows[start:min(start+ledgerInsertRows, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r.EntryID, string(r.PartyKind), r.PartyID, string(r.Kind), r.At.Unix(), domain.Day(r.At), domain.Minute(r.At),
				r.Platform, r.OrderID, r.LineID, r.SKUID, r.Product, r.EnterpriseID, r.VillageID, r.LivestreamID, r.BuyerRef, int64(r.AmountFen))
		}
		var err error
		if len(chunk) == ledgerInsertRows {
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO ledger (`+ledgerColumns+`) VALUES `+
				strings.TrimSuffix(strings.Repeat(placeholders+",", len(chunk)), ","), args...)
		}
		if err != nil {
			return fmt.Errorf("insert %d ledger rows: %w", len(chunk), err)
		}
	}
	return nil
}
