package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Folding the daily rollups (sales_rollup, sales_summary and order_counts).
//
// Every commit adds its change of money per key to sales_rollup, and of
// order counts to order_counts, one row per key per commit, and readers sum
// the rows. The rows cannot be merged away
// by the server (a SummingMergeTree could fold a failed commit's row into
// committed ones before it is cleaned up), so without more the table grows
// with every commit, and so does every query's work.
//
// A fold is a commit of its own, number n, that writes no events: an
// INSERT … SELECT per table on the server sums the visible rows of the
// current generation g (gen = g AND batch < n) into one row per key, with
// gen = n and batch = n, and its checkpoint (the last commit's positions again)
// names n as the generation. Readers read gen = (the last checkpoint's
// fold) AND batch <= (the last checkpoint's batch): the folded rows and the
// commits after them, which carry gen = n. Until the fold's checkpoint is
// in, readers keep reading generation g, which is complete; a fold cut
// short leaves rows of a batch after the committed one, which the next
// commit deletes like any failed commit's. The tables are partitioned by gen,
// so the generations before the previous one are dropped whole (DROP
// PARTITION, no mutation); the previous one is kept for readers that read
// the checkpoint just before the fold landed.
//
// A fold runs after a commit once the generation holds FoldMinRows rows of
// sales_rollup (the larger table) and twice the rows its own fold wrote, so each row is folded a bounded number
// of times, and the table stays within about twice its folded size.

// foldDue reports whether the current generation is due for a fold.
func (s *Store) foldDue() bool {
	return s.cfg.FoldMinRows > 0 && s.w.rollupRows >= uint64(s.cfg.FoldMinRows) && s.w.rollupRows >= 2*s.w.foldRows
}

// foldedTables are the tables a fold folds: the key columns, the summed
// columns and their sums, and a condition on the sums (zero order counts
// mean nothing; a rollup key with zero sums still names a group a query
// finds, as in SQLite).
var foldedTables = []struct{ table, key, values, sums, having string }{
	{"sales_rollup", "day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id",
		"sales_fen, refunds_fen", "toInt64(sum(sales_fen)), toInt64(sum(refunds_fen))", ""},
	{"sales_summary", "day, platform, product, enterprise_id, village_id, livestream_id, party_kind",
		"sales_fen, refunds_fen", "toInt64(sum(sales_fen)), toInt64(sum(refunds_fen))", ""},
	{"order_counts", orderCountKey, "orders", "toInt64(sum(orders)) AS n", " HAVING n != 0"},
}

// foldLocked folds the current generation as commit committed+1 (under writeMu).
func (s *Store) foldLocked(ctx context.Context) error {
	n := s.w.committed + 1
	from := s.w.fold
	s.w.ready, s.w.attempted = false, n
	if s.insertHook != nil {
		if err := s.insertHook(ctx, "fold", false); err != nil {
			return err
		}
	}
	for _, f := range foldedTables {
		// The query id marks it as this store's insert (see waitInserts).
		id := fmt.Sprintf("%s%d:fold:%s", s.queryIDPrefix(), n, randomID())
		err := s.exec(clickhouse.Context(ctx, clickhouse.WithQueryID(id)), fmt.Sprintf(`INSERT INTO %s (%s, %s, gen, batch)
			SELECT %s, %s, %d, %d FROM %s WHERE gen = %d AND batch <= %d GROUP BY %s%s`,
			s.t(f.table), f.key, f.values, f.key, f.sums, n, n, s.t(f.table), from, s.w.committed, f.key, f.having))
		if err != nil {
			return fmt.Errorf("fold generation %d of %s: %w", from, f.table, err)
		}
	}
	if s.insertHook != nil {
		if err := s.insertHook(ctx, "fold", true); err != nil {
			return err
		}
	}
	_, folded, err := s.countRollup(ctx, n)
	if err != nil {
		return err
	}
	if err := s.send(ctx, checkpointRow(s.w.lastConsumer, s.w.lastPositions, n, s.w.writer, n, s.w.registryBatch), n); err != nil {
		return fmt.Errorf("fold generation %d of sales_rollup: checkpoint: %w", from, err)
	}
	s.w.ready, s.w.attempted = true, 0
	s.w.committed, s.w.lastWriter = n, s.w.writer
	s.w.fold, s.w.rollupRows, s.w.foldRows = n, folded, folded
	if err := s.dropGenerationsBefore(ctx, from); err != nil {
		// Only space: readers never read those generations.
		slog.Warn("clickhouse store: could not drop old rollup generations; they are dropped at the next fold", "before", from, "err", err)
	}
	return nil
}

// countRollup counts the rows of a generation, and those its fold wrote
// (batch = gen; none for generation 0, which no fold wrote).
func (s *Store) countRollup(ctx context.Context, gen uint64) (rows, folded uint64, err error) {
	err = s.query(ctx, fmt.Sprintf(`SELECT count(), countIf(batch = %d) FROM %s WHERE gen = %d`, gen, s.t("sales_rollup"), gen), func(r driver.Rows) error {
		return r.Scan(&rows, &folded)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count the rows of rollup generation %d: %w", gen, err)
	}
	if gen == 0 {
		folded = 0
	}
	return rows, folded, nil
}

// dropGenerationsBefore drops the partitions of sales_rollup and
// order_counts older than gen.
func (s *Store) dropGenerationsBefore(ctx context.Context, gen uint64) error {
	for _, f := range foldedTables {
		if err := s.dropTableGenerationsBefore(ctx, f.table, gen); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) dropTableGenerationsBefore(ctx context.Context, table string, gen uint64) error {
	s.namesMu.RLock()
	name := s.prefix + table
	s.namesMu.RUnlock()
	var old []string
	err := s.query(ctx, fmt.Sprintf(`SELECT DISTINCT partition FROM system.parts WHERE database = %s AND table = %s AND active`,
		lit(s.cfg.Database), lit(name)), func(r driver.Rows) error {
		var p string
		if err := r.Scan(&p); err != nil {
			return err
		}
		var g uint64
		if _, err := fmt.Sscan(p, &g); err == nil && g < gen {
			old = append(old, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(old)
	for _, p := range old {
		if err := s.exec(ctx, fmt.Sprintf(`ALTER TABLE %s DROP PARTITION %s`, s.t(table), p)); err != nil {
			return fmt.Errorf("drop rollup generation %s: %w", p, err)
		}
	}
	return nil
}

func (s *Store) logFoldError(err error) {
	slog.Warn("clickhouse store: folding the daily rollup failed; the next commit cleans it up and a later one folds again", "err", err)
}
