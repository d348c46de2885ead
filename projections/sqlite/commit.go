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
	if err := moveOrderCounts(ctx, s.stmts.upsertOrders.in(tx), b.Orders); err != nil {
		return err
	}
	putIncome := s.stmts.putIncome.in(tx)
	for _, in := range b.Income {
		if err := putIncome.add(ctx, in.EventID, in.HouseholdID, in.Kind, int64(in.AmountFen), in.EnterpriseID, in.OccurredAt.Unix(), domain.Day(in.OccurredAt), in.Reference); err != nil {
			return err
		}
	}
	if err := putIncome.flush(ctx); err != nil {
		return err
	}
	if err := putConflicts(ctx, tx, b.Conflicts); err != nil {
		return err
	}
	if err := putCorrections(ctx, tx, b.Corrections); err != nil {
		return err
	}
	putPosition := tx.StmtContext(ctx, s.stmts.putPosition)
	for part, off := range b.Positions {
		if _, err := putPosition.ExecContext(ctx, b.Consumer, part, off); err != nil {
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
	case *domain.MonitoringLineSet:
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO monitoring_lines (year, monitoring_line_fen) VALUES (?, ?)`, e.Year, e.LineFen)
	case *domain.HouseholdTermsSet:
		_, err = tx.ExecContext(ctx, `INSERT OR REPLACE INTO household_terms (household_id, from_day, members, baseline_income_fen) VALUES (?, ?, ?, ?)`,
			e.HouseholdID, e.From, e.Members, e.BaselineIncomeFen)
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
	putStates := s.stmts.putStates.in(tx)
	w := newEntryWriter(ctx, tx, s.stmts)

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
		if err := putStates.add(ctx, c.State.Key.Platform, c.State.Key.OrderID, c.State.Key.LineID, raw); err != nil {
			return nil, err
		}
		for group := range projections.ByEntry(c.Retract) {
			if err := w.retract(ctx, group[0]); err != nil {
				return nil, err
			}
			rollup.AddEntry(group, -1)
		}
		for group := range projections.ByEntry(c.Add) {
			if err := w.add(ctx, group); err != nil {
				return nil, err
			}
			rollup.AddEntry(group, 1)
			if r := group[0]; r.LivestreamID != "" {
				livestreams[r.LivestreamID] = r
			}
		}
	}
	if err := w.flush(ctx); err != nil {
		return nil, err
	}
	if err := putStates.flush(ctx); err != nil {
		return nil, err
	}
	if err := moveRollups(ctx, tx, s.stmts.upsertRollups, &rollup); err != nil {
		return nil, err
	}
	putLivestream := tx.StmtContext(ctx, s.stmts.putLivestream)
	for id, r := range livestreams {
		room := strings.TrimPrefix(id, r.Platform+":")
		if _, err := putLivestream.ExecContext(ctx, id, r.Platform, room, r.AnchorName); err != nil {
			return nil, fmt.Errorf("store livestream %s: %w", id, err)
		}
	}
	return hashes, nil
}
