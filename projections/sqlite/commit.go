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
	snapshots, err := s.writeLines(ctx, tx, b.Lines)
	if err != nil {
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
	s.snapshots.MarkStored(snapshots)
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

// writeLines stores the changed lines, retracts and adds their ledger
// entries and shares, and moves the rollups by the difference. It returns
// the listing snapshots the lines refer to.
func (s *Store) writeLines(ctx context.Context, tx *sql.Tx, changes []projections.LineChange) ([]string, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	putState, err := tx.PrepareContext(ctx, `INSERT INTO lines (platform, order_id, line_id, state) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, order_id, line_id) DO UPDATE SET state = excluded.state`)
	if err != nil {
		return nil, err
	}
	defer putState.Close()
	w, err := newEntryWriter(ctx, tx)
	if err != nil {
		return nil, err
	}
	defer w.close()

	var rollup projections.Rollup
	livestreams := map[string]projections.LedgerRow{}
	var hashes []string
	for _, c := range changes {
		raw, hash, err := s.encodeLine(ctx, tx, &c.State)
		if err != nil {
			return nil, err
		}
		if hash != "" {
			hashes = append(hashes, hash)
		}
		if _, err := putState.ExecContext(ctx, c.State.Key.Platform, c.State.Key.OrderID, c.State.Key.LineID, raw); err != nil {
			return nil, fmt.Errorf("store line %v: %w", c.State.Key, err)
		}
		for _, group := range projections.ByEntry(c.Retract) {
			if err := w.retract(ctx, group[0]); err != nil {
				return nil, err
			}
			for _, r := range group {
				rollup.Add(r, -1)
			}
		}
		for _, group := range projections.ByEntry(c.Add) {
			if err := w.add(ctx, group); err != nil {
				return nil, err
			}
			for _, r := range group {
				rollup.Add(r, 1)
			}
			if r := group[0]; r.LivestreamID != "" {
				livestreams[r.LivestreamID] = r
			}
		}
	}
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	if err := upsertRollup(ctx, tx, &rollup); err != nil {
		return nil, err
	}
	for id, r := range livestreams {
		room := strings.TrimPrefix(id, r.Platform+":")
		if _, err := tx.ExecContext(ctx, `INSERT INTO livestreams (id, platform, room_id, anchor_name) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET anchor_name = CASE WHEN excluded.anchor_name <> '' THEN excluded.anchor_name ELSE anchor_name END`,
			id, r.Platform, room, r.AnchorName); err != nil {
			return nil, fmt.Errorf("store livestream %s: %w", id, err)
		}
	}
	return hashes, nil
}

func upsertRollup(ctx context.Context, tx *sql.Tx, rollup *projections.Rollup) error {
	up, err := tx.PrepareContext(ctx, `INSERT INTO sales_daily
		(day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id, sales_fen, refunds_fen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id)
		DO UPDATE SET sales_fen = sales_fen + excluded.sales_fen, refunds_fen = refunds_fen + excluded.refunds_fen`)
	if err != nil {
		return err
	}
	defer up.Close()
	for _, k := range rollup.Keys {
		d := rollup.Deltas[k]
		if d.SalesFen == 0 && d.RefundsFen == 0 {
			continue
		}
		if _, err := up.ExecContext(ctx, k.Day, k.Platform, k.Product, k.EnterpriseID, k.VillageID, k.LivestreamID, string(k.PartyKind), k.PartyID, d.SalesFen, d.RefundsFen); err != nil {
			return fmt.Errorf("update daily rollup: %w", err)
		}
	}
	return nil
}
