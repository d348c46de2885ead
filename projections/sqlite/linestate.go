package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// encodeLine turns a line state into its stored form (projections.StoredLine),
// writing its listing snapshot first if it is not known to be stored. It
// returns the snapshot's hash ("" for none), to be marked stored once the
// transaction commits.
func (s *Store) encodeLine(ctx context.Context, tx *sql.Tx, st *domain.LineState) ([]byte, string, error) {
	stored := projections.StoredLine{Payment: st.Payment, Refunds: st.Refunds, Corrections: st.Corrections}
	if st.Listing != nil {
		hash, raw := s.snapshots.HashOf(st.Listing)
		if !s.snapshots.IsStored(hash) {
			if _, err := tx.StmtContext(ctx, s.stmts.putSnapshot).ExecContext(ctx, hash, raw); err != nil {
				return nil, "", fmt.Errorf("store listing snapshot: %w", err)
			}
		}
		stored.Listing = hash
	}
	b, err := stored.AppendJSON(nil)
	return b, stored.Listing, err
}

// decodeLine turns a stored line back into a state, resolving its listing.
func (s *Store) decodeLine(ctx context.Context, db *sql.DB, key domain.LineKey, raw []byte) (domain.LineState, error) {
	var stored projections.StoredLine
	if err := json.Unmarshal(raw, &stored); err != nil {
		return domain.LineState{}, fmt.Errorf("line %v: %w", key, err)
	}
	st := domain.LineState{Key: key, Payment: stored.Payment, Refunds: stored.Refunds, Corrections: stored.Corrections}
	if stored.Listing == "" {
		return st, nil
	}
	l, _, ok := s.snapshots.Get(stored.Listing)
	if !ok {
		var text string
		if err := db.QueryRowContext(ctx, `SELECT listing FROM listing_snapshots WHERE hash = ?`, stored.Listing).Scan(&text); err != nil {
			return st, fmt.Errorf("line %v: listing snapshot %s: %w", key, stored.Listing, err)
		}
		var err error
		if l, err = s.snapshots.Put(stored.Listing, text); err != nil {
			return st, err
		}
	}
	cp := *l
	st.Listing = &cp
	return st, nil
}
