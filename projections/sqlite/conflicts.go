package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/loquat-dev/loquat/domain"
)

// putConflicts stores a batch's conflicts; one stored before (the same
// rejected version delivered again) keeps its first record.
func putConflicts(ctx context.Context, tx *sql.Tx, conflicts []domain.Conflict) error {
	for _, c := range conflicts {
		raw, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("encode conflict %s: %w", c.ID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO conflicts (id, detected_at, conflict) VALUES (?, ?, ?)`,
			c.ID, c.DetectedAt.Unix(), string(raw)); err != nil {
			return fmt.Errorf("store conflict %s: %w", c.ID, err)
		}
	}
	return nil
}

// Conflicts lists the recorded conflicts, newest first, and their total.
func (s *Store) Conflicts(ctx context.Context, limit, offset int) ([]domain.Conflict, int, error) {
	var total int
	if err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM conflicts`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count conflicts: %w", err)
	}
	var out []domain.Conflict
	err := scanAll(ctx, s.read, `SELECT conflict FROM conflicts ORDER BY detected_at DESC, id LIMIT ? OFFSET ?`, func(r *sql.Rows) error {
		var raw string
		if err := r.Scan(&raw); err != nil {
			return err
		}
		var c domain.Conflict
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return fmt.Errorf("decode conflict: %w", err)
		}
		out = append(out, c)
		return nil
	}, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("conflicts: %w", err)
	}
	return out, total, nil
}
