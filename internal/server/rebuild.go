package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/gctuning"
	"github.com/loquat-dev/loquat/projections"
	storeclickhouse "github.com/loquat-dev/loquat/projections/clickhouse"
	storesqlite "github.com/loquat-dev/loquat/projections/sqlite"
)

// RebuildStats describes a finished rebuild.
type RebuildStats struct {
	Events      int64
	DeadLetters int64
	Took        time.Duration
}

// RebuildProgress reports a rebuild's phase and how many of the log's
// messages it has read.
type RebuildProgress func(phase string, done, total int64)

// Rebuild drops the read model and replays the whole event log into a new
// one: the complete registry first (so that every order is attributed with
// the corrected history), then every event, then the dead letters. The new
// model is built beside the old one and swapped in only when complete, so a
// failed rebuild leaves the old model, and APIs keep answering from the old
// one until the swap. Stop the projector first (for SQLite, the data dir's
// lock enforces it); the rebuild leaves the new model's checkpoint under the
// projector's name, so a projector started afterwards resumes from it.
func Rebuild(ctx context.Context, dataDir string, logCfg LogConfig, storeCfg StoreConfig, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error) {
	b, err := storeCfg.backend()
	if err != nil {
		return RebuildStats{}, err
	}
	return b.rebuild(ctx, dataDir, logCfg, storeCfg, progress, logger)
}

// rebuildClickHouse builds the new tables beside the live ones and renames
// them into place (RENAME TABLE) when complete.
func rebuildClickHouse(ctx context.Context, dataDir string, logCfg LogConfig, storeCfg StoreConfig, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error) {
	start := time.Now()
	if logger == nil {
		logger = slog.Default()
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	log, err := OpenLog(dataDir, logCfg, logger)
	if err != nil {
		return RebuildStats{}, err
	}
	defer log.Close()
	gctuning.UseClickHouseLimit() // the store's line cache is live heap beyond the embedded default
	live, err := storeclickhouse.Open(ctx, storeclickhouse.Config{DSN: storeCfg.ClickHouseDSN})
	if err != nil {
		return RebuildStats{}, clickHouseOpenError(err, storeCfg.ClickHouseDSN)
	}
	defer live.Close()
	shadow, err := live.Shadow(ctx)
	if err != nil {
		return RebuildStats{}, fmt.Errorf("create the rebuild's tables: %w", err)
	}
	defer shadow.Close()
	stats, err := replay(ctx, log, shadow, progress, logger)
	if err != nil {
		return stats, fmt.Errorf("rebuild stopped, the live read model is untouched: %w", err)
	}
	if err := shadow.SwapIn(ctx); err != nil {
		return stats, fmt.Errorf("swap in the rebuilt read model: %w", err)
	}
	stats.Took = time.Since(start)
	return stats, nil
}

// rebuildSQLite builds a new file beside the read model and renames it over.
func rebuildSQLite(ctx context.Context, dataDir string, logCfg LogConfig, _ StoreConfig, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error) {
	start := time.Now()
	if logger == nil {
		logger = slog.Default()
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return RebuildStats{}, err
	}
	defer lock.release()
	log, err := OpenLog(dataDir, logCfg, logger)
	if err != nil {
		return RebuildStats{}, err
	}
	defer log.Close()

	target := ReadModelPath(dataDir)
	tmp := target + ".rebuild"
	if err := removeSQLiteFile(tmp); err != nil {
		return RebuildStats{}, err
	}
	store, err := storesqlite.Open(ctx, storesqlite.Config{Path: tmp})
	if err != nil {
		return RebuildStats{}, err
	}
	stats, err := replay(ctx, log, store, progress, logger)
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return stats, fmt.Errorf("rebuild stopped, the old read model is untouched: %w", err)
	}
	if err := removeIfPresent(target+"-wal", target+"-shm"); err != nil {
		return stats, err
	}
	if err := os.Rename(tmp, target); err != nil {
		return stats, fmt.Errorf("swap in the rebuilt read model: %w", err)
	}
	stats.Took = time.Since(start)
	return stats, nil
}

// removeSQLiteFile removes a SQLite database and its WAL and shared-memory
// files, those that exist.
func removeSQLiteFile(path string) error {
	return removeIfPresent(path, path+"-wal", path+"-shm")
}

// removeIfPresent removes the files that exist among paths.
func removeIfPresent(paths ...string) error {
	var errs []error
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// replay fills an empty store from the log; it is the store-independent part
// of a rebuild. The projector reads the whole registry topic before its first
// batch of events, so every order is attributed with the complete registry.
// The projector batches as the store prefers.
func replay(ctx context.Context, log eventlog.Backend, store projections.Store, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error) {
	return replayRecorded(ctx, log, store, nil, progress, logger)
}

// replayRecorded is replay of the messages recorded is true of (nil: all):
// an as-of read model is the log replayed up to a moment. The registry's
// included messages are read first, so the projector knows where the
// registry it must wait for ends.
func replayRecorded(ctx context.Context, log eventlog.Backend, store projections.Store, recorded func(*message.Message) bool, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error) {
	var stats RebuildStats
	if recorded == nil {
		recorded = func(*message.Message) bool { return true }
	}
	if progress == nil {
		progress = func(string, int64, int64) {}
	}
	end, err := log.End(ctx, eventlog.TopicEvents)
	if err != nil {
		return stats, err
	}
	registryEnd, err := log.End(ctx, eventlog.TopicRegistry)
	if err != nil {
		return stats, err
	}
	total := sum(end)
	group := fmt.Sprintf("rebuild-%d", time.Now().UnixNano())

	// The registry topic is small (the district's registry, not its sales).
	var registry []*message.Message
	registryIncluded := eventlog.Positions{}
	err = eventlog.ReadUntil(ctx, log, group+"-registry", eventlog.TopicRegistry, registryEnd, func(msg *message.Message, pos eventlog.Position) error {
		if recorded(msg) {
			registry = append(registry, msg.Copy())
			registryIncluded[pos.Partition] = pos.Offset
		}
		return nil
	})
	if err != nil {
		return stats, err
	}

	p, err := projections.NewProjector(ctx, store, projections.ProjectorConfig{
		RegistryEnd: func(context.Context) (eventlog.Positions, error) { return registryIncluded, nil },
		OnCommit: func(s projections.CommitStats) {
			stats.Events += int64(s.Events)
			progress("events", sum(s.Positions), total)
		},
	}, logger)
	if err != nil {
		return stats, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	registryDone := make(chan error, 1)
	go func() {
		for _, msg := range registry {
			if err := p.HandleRegistry(msg); err != nil {
				registryDone <- err
				return
			}
		}
		registryDone <- nil
	}()
	included := eventlog.Positions{}
	err = eventlog.ReadUntil(ctx, log, group, eventlog.TopicEvents, end, func(msg *message.Message, pos eventlog.Position) error {
		if !recorded(msg) {
			return nil
		}
		included[pos.Partition] = pos.Offset
		return p.Handle(msg)
	})
	if err == nil {
		err = <-registryDone
	}
	if err == nil {
		err = p.WaitFor(ctx, included)
	}
	if err == nil && sum(included) == 0 {
		// No events: the registry still has to be stored.
		err = p.WaitForRegistry(ctx, registryIncluded)
	}
	stop()
	if rerr := <-done; err == nil {
		err = rerr
	}
	if err != nil {
		return stats, err
	}

	// Dead letters.
	dlEnd, err := log.End(ctx, eventlog.TopicDeadLetters)
	if err != nil {
		return stats, err
	}
	var batch []domain.DeadLetter
	err = eventlog.ReadUntil(ctx, log, group+"-dead-letters", eventlog.TopicDeadLetters, dlEnd, func(msg *message.Message, _ eventlog.Position) error {
		if !recorded(msg) {
			return nil
		}
		if dl, err := eventlog.DecodeDeadLetter(msg); err == nil {
			batch = append(batch, dl)
		}
		return nil
	})
	if err != nil {
		return stats, err
	}
	stats.DeadLetters = int64(len(batch))
	if err := store.PutDeadLetters(ctx, batch); err != nil {
		return stats, err
	}
	return stats, nil
}

func sum(p eventlog.Positions) int64 {
	var n int64
	for _, off := range p {
		n += off
	}
	return n
}
