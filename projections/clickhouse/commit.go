package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
)

// Commit writes the batch as the store's next batch number: one INSERT per
// table (split at MaxInsertRows), every row carrying the number, and last
// the checkpoint row that makes them visible. A commit that fails leaves
// rows that no reader sees; the next Commit deletes them before it reuses
// the number (see prepareCommit).
func (s *Store) Commit(ctx context.Context, b *projections.Batch) error {
	if err := s.open(); err != nil {
		return err
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	var checked chan error
	if s.w.ready && s.w.broken == nil {
		// The usual case: only the check that no other writer took over
		// is left, a query that runs while the rows are built.
		checked = make(chan error, 1)
		go func() { checked <- s.checkLastCheckpoint(ctx) }()
	} else if err := s.prepareCommit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	n := s.w.committed + 1
	rows, err := s.batchRows(ctx, b, n)
	if checked != nil {
		if checkErr := <-checked; checkErr != nil {
			return fmt.Errorf("commit: %w", errors.Join(checkErr, err))
		}
	}
	if err != nil {
		return fmt.Errorf("commit batch %d: %w", n, err)
	}
	// From the first insert on, a failure may leave rows of batch n behind,
	// or the whole batch committed after all: the line cache is read again.
	s.w.ready, s.w.attempted = false, n
	if err := s.sendAll(ctx, rows.inserts, n); err != nil {
		s.lines.reset()
		return fmt.Errorf("commit batch %d: %w", n, err)
	}
	registryBatch := s.w.registryBatch
	if len(b.Registry) > 0 {
		registryBatch = n
	}
	if err := s.send(ctx, checkpointRow(b.Consumer, b.Positions, n, s.w.writer, s.w.fold, registryBatch), n); err != nil {
		s.lines.reset()
		return fmt.Errorf("commit batch %d: checkpoint: %w", n, err)
	}
	s.lines.committed(b.Lines, rows.stored)
	s.w.ready, s.w.attempted = true, 0
	s.w.committed, s.w.lastWriter = n, s.w.writer
	s.w.lastConsumer, s.w.lastPositions = b.Consumer, b.Positions.Clone()
	s.w.registryBatch = registryBatch
	s.w.rollupRows += rows.rollupRows
	s.snapshots.MarkStored(rows.hashes)
	if s.foldDue() {
		// The batch is committed whatever becomes of the fold: a failed
		// fold is cleaned up by the next commit, like a failed commit.
		if err := s.foldLocked(ctx); err != nil {
			s.logFoldError(err)
		}
	}
	return nil
}

// parallelInserts bounds the inserts of one commit that run at once, each
// on a connection of the pool (10 by default), leaving some to queries.
const parallelInserts = 4

// sendAll sends the inserts of a batch side by side, each on a connection
// of its own: the server writes a part per insert, which costs it more time
// than the client spends building the rows. The first error cancels the rest.
func (s *Store) sendAll(ctx context.Context, inserts []*insert, batch uint64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, parallelInserts)
	)
	for _, in := range inserts {
		if in.len() == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := s.send(ctx, in, batch); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func checkpointRow(consumer string, positions eventlog.Positions, batch uint64, writer string, fold, registryBatch uint64) *insert {
	parts := make([]int32, 0, len(positions))
	for p := range positions {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	offsets := make([]int64, len(parts))
	for i, p := range parts {
		offsets[i] = positions[p]
	}
	return &insert{
		table:   "checkpoints",
		columns: []string{"consumer", "batch", "partitions", "offsets", "writer", "committed_at", "fold", "registry"},
		parts: []part{&col[string]{consumer}, &col[uint64]{batch}, &col[[]int32]{parts}, &col[[]int64]{offsets},
			&col[string]{writer}, &col[time.Time]{time.Now()}, &col[uint64]{fold}, &col[uint64]{registryBatch}},
	}
}

// Checkpoint returns the positions of the consumer's last committed batch.
func (s *Store) Checkpoint(ctx context.Context, consumer string) (eventlog.Positions, error) {
	out := eventlog.Positions{}
	err := s.query(ctx, `SELECT partitions, offsets FROM `+s.t("checkpoints")+` WHERE consumer = `+lit(consumer)+
		` ORDER BY batch DESC LIMIT 1`, func(r driver.Rows) error {
		var parts []int32
		var offsets []int64
		if err := r.Scan(&parts, &offsets); err != nil {
			return err
		}
		for i, p := range parts {
			out[p] = offsets[i]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read checkpoint of %s: %w", consumer, err)
	}
	return out, nil
}

// PutDeadLetters stores dead letters; one stored twice is read once (the
// first stored copy).
func (s *Store) PutDeadLetters(ctx context.Context, dls []domain.DeadLetter) error {
	if err := s.open(); err != nil {
		return err
	}
	if len(dls) == 0 {
		return nil
	}
	var id, source, reason, raw col[string]
	var at col[int64]
	var version col[uint64]
	// Later stores get lower versions: ReplacingMergeTree keeps the highest.
	base := uint64(math.MaxInt64) - uint64(time.Now().UnixNano())
	for i, dl := range dls {
		id.add(dl.ID)
		source.add(dl.Source)
		reason.add(dl.Reason)
		raw.add(string(dl.Raw))
		at.add(dl.ReceivedAt.UnixNano())
		version.add(base - uint64(i))
	}
	in := &insert{table: "dead_letters", columns: []string{"id", "source", "reason", "raw", "received_at", "version"},
		parts: []part{&id, &source, &reason, &raw, &at, &version}}
	if err := s.send(ctx, in, 0); err != nil {
		return fmt.Errorf("store %d dead letters: %w", len(dls), err)
	}
	return nil
}
