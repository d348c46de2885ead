package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/eventlog"
)

// writerState is what the store knows of its own commits; guarded by writeMu.
type writerState struct {
	// writer names this Store's commits in the checkpoint rows.
	writer string
	// ready is set once the store has read the committed batch and removed
	// the rows of any commit after it; a failed commit clears it.
	ready bool
	// committed is the last committed batch and lastWriter its writer.
	committed  uint64
	lastWriter string
	// attempted is the batch of a commit that failed (0: none): its
	// checkpoint may have landed even though the client saw an error.
	attempted uint64
	// broken is a sticky error: another writer took over the tables.
	broken error

	// fold is the sales_rollup generation of the last checkpoint (see
	// fold.go); rollupRows counts the generation's rows, foldRows the rows
	// its fold wrote. lastConsumer and lastPositions are the last commit's,
	// which a fold's checkpoint repeats.
	fold, rollupRows, foldRows uint64
	lastConsumer               string
	lastPositions              eventlog.Positions
	// registryBatch is the last batch that wrote the registry, which every
	// checkpoint repeats (see Registry).
	registryBatch uint64
}

// prepareCommit makes the store ready for its next commit (under writeMu):
// it checks that the last checkpoint is the one this store knows, and after
// a failure (or on the first commit after Open) deletes every row of a batch
// after the committed one, so that the batch number can be used again.
func (s *Store) prepareCommit(ctx context.Context) error {
	if s.w.broken != nil {
		return s.w.broken
	}
	if !s.w.ready {
		// A failed insert may still be running on the server (its
		// connection gone): wait until none of ours is, before reading the
		// checkpoint that it might be about to write.
		if err := s.waitInserts(ctx); err != nil {
			return err
		}
	}
	batch, writer, fold, registryBatch, err := s.lastCheckpoint(ctx)
	if err != nil {
		return err
	}
	switch {
	case !s.w.ready && s.w.attempted == 0:
		// First commit after Open: adopt what is there.
	case batch == s.w.committed && writer == s.w.lastWriter:
		// As we left it.
	case s.w.attempted != 0 && batch == s.w.attempted && writer == s.w.writer:
		// The failed commit's checkpoint landed after all: it is committed.
	default:
		return s.foreignWriter(batch, writer)
	}
	s.w.committed, s.w.lastWriter, s.w.attempted = batch, writer, 0
	if s.w.ready {
		return nil
	}
	if err := s.deleteAfter(ctx, batch); err != nil {
		return err
	}
	s.w.registryBatch = registryBatch
	if registryBatch == 0 && batch > 0 {
		// Checkpoints from before schema 2 do not say: find out once.
		if s.w.registryBatch, err = s.maxRegistryBatch(ctx, batch); err != nil {
			return err
		}
	}
	if fold != s.w.fold || s.w.rollupRows == 0 {
		s.w.fold = fold
		if s.w.rollupRows, s.w.foldRows, err = s.countRollup(ctx, fold); err != nil {
			return err
		}
	}
	s.w.ready = true
	return nil
}

// checkLastCheckpoint is prepareCommit for a ready store: the last
// checkpoint must be the one it wrote. It only reads, so that Commit can
// run it beside batchRows; a mismatch makes the store broken.
func (s *Store) checkLastCheckpoint(ctx context.Context) error {
	batch, writer, _, _, err := s.lastCheckpoint(ctx)
	if err != nil {
		return err
	}
	if batch != s.w.committed || writer != s.w.lastWriter {
		return s.foreignWriter(batch, writer)
	}
	return nil
}

// foreignWriter makes the store broken: the last checkpoint, batch by
// writer, is not one it knows.
func (s *Store) foreignWriter(batch uint64, writer string) error {
	s.w.broken = fmt.Errorf("%w (last checkpoint: batch %d by %q; this store committed batch %d)", ErrForeignWriter, batch, writer, s.w.committed)
	return s.w.broken
}

// PrepareWrites readies the store for its first commit now rather than in
// it: it reads the last checkpoint and deletes the rows a commit that did
// not finish may have left (see prepareCommit), which on 18.x takes a
// query per table. Commit does it itself when it has not been done.
func (s *Store) PrepareWrites(ctx context.Context) error {
	if err := s.open(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	return s.prepareCommit(ctx)
}

// lastCheckpoint reads the last committed batch, its writer, its rollup
// generation and its registry batch (zeros when none).
func (s *Store) lastCheckpoint(ctx context.Context) (batch uint64, writer string, fold, registry uint64, err error) {
	err = s.query(ctx, `SELECT batch, writer, fold, registry FROM `+s.t("checkpoints")+` ORDER BY batch DESC LIMIT 1`, func(r driver.Rows) error {
		return r.Scan(&batch, &writer, &fold, &registry)
	})
	if err != nil {
		return 0, "", 0, 0, fmt.Errorf("read the last checkpoint: %w", err)
	}
	return batch, writer, fold, registry, nil
}

// maxRegistryBatch is the last committed batch that wrote the registry.
func (s *Store) maxRegistryBatch(ctx context.Context, committed uint64) (uint64, error) {
	var out uint64
	for _, t := range []string{"district", "villages", "households", "enterprises", "listings"} {
		var b uint64
		if err := s.query(ctx, fmt.Sprintf(`SELECT max(batch) FROM %s WHERE batch <= %d`, s.t(t), committed), func(r driver.Rows) error {
			return r.Scan(&b)
		}); err != nil {
			return 0, fmt.Errorf("read the registry's last batch: %w", err)
		}
		out = max(out, b)
	}
	return out, nil
}

// queryIDPrefix starts the query id of every insert of this store's tables.
func (s *Store) queryIDPrefix() string {
	s.namesMu.RLock()
	defer s.namesMu.RUnlock()
	return "loquat-insert:" + s.cfg.Database + "." + s.prefix + ":"
}

// waitInserts waits out any insert of this store's tables still running on
// the server (left by a failed commit of this or a crashed process), asking
// the server to kill it. An 18.x server cannot kill an insert waiting for
// its client's data: it ends when the connection does (or at the server's
// receive_timeout), and until then the commit fails after CleanupTimeout.
func (s *Store) waitInserts(ctx context.Context) error {
	prefix := lit(s.queryIDPrefix())
	cond := fmt.Sprintf("substring(query_id, 1, length(%s)) = %s", prefix, prefix)
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CleanupTimeout)
	defer cancel()
	killed := false
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		var running uint64
		if err := s.query(ctx, `SELECT count() FROM system.processes WHERE `+cond, func(r driver.Rows) error {
			return r.Scan(&running)
		}); err != nil {
			return fmt.Errorf("look for unfinished inserts: %w", err)
		}
		if running == 0 {
			return nil
		}
		if !killed {
			// Best effort: "unkillable stages" is the usual answer of 18.x.
			_ = s.exec(ctx, `KILL QUERY WHERE `+cond+` ASYNC`)
			killed = true
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("%d inserts of an earlier commit are still running: %w", running, ctx.Err())
		}
	}
}

// deleteAfter deletes the rows of every batch after committed from every
// table, with ALTER TABLE … DELETE mutations, and waits until they are done
// and no such row is left.
func (s *Store) deleteAfter(ctx context.Context, committed uint64) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CleanupTimeout)
	defer cancel()
	for _, table := range batchedTables {
		for {
			left, err := s.countAfter(ctx, table, committed)
			if err != nil {
				return err
			}
			if left == 0 {
				break
			}
			if err := s.exec(ctx, fmt.Sprintf(`ALTER TABLE %s DELETE WHERE batch > %d`, s.t(table), committed)); err != nil {
				return fmt.Errorf("delete %d rows of uncommitted batches from %s: %w", left, table, err)
			}
			if err := s.waitMutations(ctx, table); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) countAfter(ctx context.Context, table string, committed uint64) (uint64, error) {
	var n uint64
	err := s.query(ctx, fmt.Sprintf(`SELECT count() FROM %s WHERE batch > %d`, s.t(table), committed), func(r driver.Rows) error {
		return r.Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count uncommitted rows of %s: %w", table, err)
	}
	return n, nil
}

// waitMutations polls system.mutations until the table's mutations are done
// (mutations_sync does not exist on older servers).
func (s *Store) waitMutations(ctx context.Context, table string) error {
	s.namesMu.RLock()
	name := s.prefix + table
	s.namesMu.RUnlock()
	q := fmt.Sprintf(`SELECT count() FROM system.mutations WHERE database = %s AND table = %s AND is_done = 0`, lit(s.cfg.Database), lit(name))
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		var pending uint64
		if err := s.query(ctx, q, func(r driver.Rows) error { return r.Scan(&pending) }); err != nil {
			return fmt.Errorf("wait for the cleanup of %s: %w", table, err)
		}
		if pending == 0 {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("cleanup of %s not done: %w", table, ctx.Err())
		}
	}
}
