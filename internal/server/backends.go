package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/loquat-dev/loquat/eventlog"
	logsqlite "github.com/loquat-dev/loquat/eventlog/sqlite"
	"github.com/loquat-dev/loquat/projections"
	storeclickhouse "github.com/loquat-dev/loquat/projections/clickhouse"
	storesqlite "github.com/loquat-dev/loquat/projections/sqlite"
)

// LogConfig selects and configures the event log.
type LogConfig struct {
	// Backend names the event log: "sqlite" (default, embedded) or "kafka".
	Backend string
	// SQLite tunes the embedded log; its Dir is set from the data dir.
	SQLite logsqlite.Config
	// Kafka configures the Kafka log.
	Kafka KafkaConfig
}

// StoreConfig selects and configures the read model.
type StoreConfig struct {
	// Backend names the read model: "sqlite" (default, a file in the data
	// dir) or "clickhouse".
	Backend string
	// ClickHouseDSN addresses ClickHouse over the native protocol, e.g.
	// clickhouse://127.0.0.1:9000/loquat.
	ClickHouseDSN string
}

// eventLogs are the event-log backends, by name; adding one is one line here.
var eventLogs = map[string]func(dataDir string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error){
	"sqlite": func(dataDir string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error) {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		c := cfg.SQLite
		c.Dir = EventLogDir(dataDir)
		return logsqlite.Open(c, logger)
	},
	"kafka": openKafka,
}

// stores are the read-model backends, by name; adding one is one line here.
var stores = map[string]func(ctx context.Context, dataDir string, cfg StoreConfig) (projections.Store, error){
	"sqlite": func(ctx context.Context, dataDir string, _ StoreConfig) (projections.Store, error) {
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
		return storesqlite.Open(ctx, storesqlite.Config{Path: ReadModelPath(dataDir)})
	},
	"clickhouse": func(ctx context.Context, _ string, cfg StoreConfig) (projections.Store, error) {
		return storeclickhouse.Open(ctx, storeclickhouse.Config{DSN: cfg.ClickHouseDSN})
	},
}

func names[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// EventLogDir is where a data dir keeps its embedded event log.
func EventLogDir(dataDir string) string { return filepath.Join(dataDir, "eventlog") }

// ReadModelPath is where a data dir keeps its SQLite read model.
func ReadModelPath(dataDir string) string { return filepath.Join(dataDir, "readmodel.db") }

func watermillLogger(logger *slog.Logger) watermill.LoggerAdapter {
	if logger == nil {
		logger = slog.Default()
	}
	// Watermill logs every subscription's start and stop at Info.
	return watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
}

// OpenLog opens the configured event log, for commands that only append
// (import, registry load); it is safe beside running nodes.
func OpenLog(dataDir string, cfg LogConfig, logger *slog.Logger) (eventlog.Backend, error) {
	name := cfg.Backend
	if name == "" {
		name = "sqlite"
	}
	open, ok := eventLogs[name]
	if !ok {
		return nil, fmt.Errorf("unknown event log %q: use one of %v", name, names(eventLogs))
	}
	return open(dataDir, cfg, watermillLogger(logger))
}

// OpenStore opens the configured read model.
func OpenStore(ctx context.Context, dataDir string, cfg StoreConfig) (projections.Store, error) {
	name := cfg.Backend
	if name == "" {
		name = "sqlite"
	}
	open, ok := stores[name]
	if !ok {
		return nil, fmt.Errorf("unknown read-model store %q: use one of %v", name, names(stores))
	}
	return open(ctx, dataDir, cfg)
}
