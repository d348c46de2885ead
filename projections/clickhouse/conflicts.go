package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
)

// conflictsInsert is the batch's conflicts, in id order (the table's sort
// key, as the other inserts send theirs).
func conflictsInsert(conflicts []domain.Conflict, batch uint64) (*insert, error) {
	var id, raw col[string]
	var at col[int64]
	var bt col[uint64]
	sorted := slices.SortedFunc(slices.Values(conflicts), func(a, b domain.Conflict) int { return strings.Compare(a.ID, b.ID) })
	for _, c := range sorted {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode conflict %s: %w", c.ID, err)
		}
		id.add(c.ID)
		at.add(c.DetectedAt.Unix())
		raw.add(string(b))
		bt.add(batch)
	}
	return &insert{table: "conflicts", columns: []string{"id", "detected_at", "conflict", "batch"},
		parts: []part{&id, &at, &raw, &bt}}, nil
}

// Conflicts lists the committed conflicts, newest first, and their total;
// a conflict committed twice is its first committed row.
func (s *Store) Conflicts(ctx context.Context, limit, offset int) ([]domain.Conflict, int, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("conflicts: %w", err)
	}
	var total uint64
	if err := s.query(ctx, `SELECT uniqExact(id) FROM `+s.t("conflicts")+` WHERE `+vis, func(r driver.Rows) error {
		return r.Scan(&total)
	}); err != nil {
		return nil, 0, fmt.Errorf("count conflicts: %w", err)
	}
	if limit < 0 { // SQLite: no limit
		limit = math.MaxInt32
	}
	var out []domain.Conflict
	err = s.query(ctx, fmt.Sprintf(`SELECT id, argMin(detected_at, batch) AS detected, argMin(conflict, batch)
		FROM %s WHERE %s GROUP BY id ORDER BY detected DESC, id LIMIT %d, %d`, s.t("conflicts"), vis, max(offset, 0), limit),
		func(r driver.Rows) error {
			var id, raw string
			var at int64
			if err := r.Scan(&id, &at, &raw); err != nil {
				return err
			}
			var c domain.Conflict
			if err := json.Unmarshal([]byte(raw), &c); err != nil {
				return fmt.Errorf("decode conflict %s: %w", id, err)
			}
			out = append(out, c)
			return nil
		})
	if err != nil {
		return nil, 0, fmt.Errorf("conflicts: %w", err)
	}
	return out, int(total), nil
}
