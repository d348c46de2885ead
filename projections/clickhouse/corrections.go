package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/projections"
)

// correctionsInsert is the batch's applied corrections, in id order.
func correctionsInsert(cs []projections.CorrectionRecord, batch uint64) (*insert, error) {
	var id, target, raw col[string]
	var at col[int64]
	var bt col[uint64]
	sorted := slices.SortedFunc(slices.Values(cs), func(a, b projections.CorrectionRecord) int { return strings.Compare(a.ID, b.ID) })
	for _, c := range sorted {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode correction %s: %w", c.ID, err)
		}
		id.add(c.ID)
		at.add(c.At.UnixNano())
		target.add(c.TargetKey)
		raw.add(string(b))
		bt.add(batch)
	}
	return &insert{table: "corrections", columns: []string{"id", "at", "target", "record", "batch"},
		parts: []part{&id, &at, &target, &raw, &bt}}, nil
}

// Corrections lists the committed corrections the filter selects, in (At,
// ID) order; one committed twice is its first committed row. All are read
// and filtered here (projections.CorrectionFilter.Match): corrections are
// made by hand and few.
func (s *Store) Corrections(ctx context.Context, f projections.CorrectionFilter) ([]projections.CorrectionRecord, error) {
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("corrections: %w", err)
	}
	var out []projections.CorrectionRecord
	err = s.query(ctx, `SELECT id, argMin(at, batch) AS t, argMin(record, batch) FROM `+s.t("corrections")+
		` WHERE `+vis+` GROUP BY id ORDER BY t, id`, func(r driver.Rows) error {
		var id, raw string
		var at int64
		if err := r.Scan(&id, &at, &raw); err != nil {
			return err
		}
		var c projections.CorrectionRecord
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return fmt.Errorf("decode correction %s: %w", id, err)
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
