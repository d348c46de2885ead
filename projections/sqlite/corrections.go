package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/loquat-dev/loquat/projections"
)

// putCorrections stores a batch's applied corrections; one stored before
// keeps its first record.
func putCorrections(ctx context.Context, tx *sql.Tx, cs []projections.CorrectionRecord) error {
	for _, c := range cs {
		raw, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode correction %s: %w", c.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO corrections (id, at, target, record) VALUES (?, ?, ?, ?)`,
			c.ID, c.At.UnixNano(), c.TargetKey, string(raw)); err != nil {
			return fmt.Errorf("store correction %s: %w", c.ID, err)
		}
	}
	return nil
}

// Corrections lists the applied corrections the filter selects, in (At,
// ID) order. All are read and filtered here (projections.CorrectionFilter.Match):
// corrections are made by hand and few.
func (s *Store) Corrections(ctx context.Context, f projections.CorrectionFilter) ([]projections.CorrectionRecord, error) {
	var out []projections.CorrectionRecord
	err := scanAll(ctx, s.read, `SELECT record FROM corrections ORDER BY at, id`, func(r *sql.Rows) error {
		var raw string
		if err := r.Scan(&raw); err != nil {
			return err
		}
		var c projections.CorrectionRecord
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return fmt.Errorf("decode correction: %w", err)
		}
		if f.Match(&c) {
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("corrections: %w", err)
	}
	return out, nil
}
