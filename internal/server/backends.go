package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	"github.com/ThreeDotsLabs/watermill"
	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/loquat-dev/loquat/eventlog"
	logsqlite "github.com/loquat-dev/loquat/eventlog/sqlite"
	"github.com/loquat-dev/loquat/internal/gctuning"
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

// logBackend is what differs between event-log backends.
type logBackend struct {
	open func(dataDir string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error)
	// validate lists the problems of the backend's part of a LogConfig.
	validate func(cfg LogConfig) []error
}

// defaultLog is the backend of a LogConfig that names none.
const defaultLog = "sqlite"

// eventLogs are the event-log backends, by name; adding one is one entry here.
var eventLogs = map[string]logBackend{
	"sqlite": {open: openSQLiteLog, validate: validateSQLiteLog},
	"kafka":  {open: openKafka, validate: validateKafka},
}

func validateSQLiteLog(c LogConfig) []error {
	sc := c.SQLite
	sc.Dir = "unused" // set from the data dir when the log opens
	return []error{sc.Validate()}
}

func validateKafka(c LogConfig) []error {
	var errs []error
	if len(c.Kafka.Brokers) == 0 {
		errs = append(errs, errors.New("kafka event log: no brokers given"))
	}
	for _, b := range c.Kafka.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			errs = append(errs, fmt.Errorf("kafka event log: broker %q is not host:port", b))
		}
	}
	if c.Kafka.Partitions < 0 || c.Kafka.ReplicationFactor < 0 {
		errs = append(errs, errors.New("kafka event log: partitions and replication factor must not be negative"))
	}
	return errs
}

func openSQLiteLog(dataDir string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error) {
	c := cfg.SQLite
	c.Dir = EventLogDir(dataDir)
	l, err := logsqlite.Open(c, logger)
	if err != nil {
		return nil, err // not l: a nil *Log in a non-nil Backend
	}
	return l, nil
}

// storeBackend is what differs between read-model backends; the node and
// the rebuild ask it rather than compare backend names.
type storeBackend struct {
	// open opens the read model.
	open func(ctx context.Context, dataDir string, cfg StoreConfig) (projections.Store, error)
	// validate checks the backend's part of a StoreConfig; nil: nothing to
	// check.
	validate func(cfg StoreConfig) error
	// rebuild replays the event log into a new read model and swaps it in
	// for the live one when complete (see Rebuild).
	rebuild func(ctx context.Context, dataDir string, logCfg LogConfig, storeCfg StoreConfig, progress RebuildProgress, logger *slog.Logger) (RebuildStats, error)
	// locksDataDir: the read model is in the data dir, and the data dir's
	// lock keeps it to one projector (an API may read beside it).
	locksDataDir bool
}

// defaultStore is the backend of a StoreConfig that names none.
const defaultStore = "sqlite"

// stores are the read-model backends, by name; adding one is one entry here.
var stores = map[string]storeBackend{
	"sqlite": {
		open:         openSQLiteStore,
		rebuild:      rebuildSQLite,
		locksDataDir: true,
	},
	"clickhouse": {
		open:     openClickHouseStore,
		validate: validateClickHouse,
		rebuild:  rebuildClickHouse,
	},
}

func openSQLiteStore(ctx context.Context, dataDir string, _ StoreConfig) (projections.Store, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := ReadModelPath(dataDir)
	s, err := storesqlite.Open(ctx, storesqlite.Config{Path: path})
	if err != nil {
		if corrupt(err) {
			return nil, fmt.Errorf("the read model %s is damaged (%w): move it away and run 'loquat rebuild', which rebuilds it from the event log", path, err)
		}
		return nil, err
	}
	return s, nil
}

// corrupt reports whether err is SQLite's "not a database" or "malformed".
func corrupt(err error) bool {
	var se *sqlitedriver.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_NOTADB || code == sqlite3.SQLITE_CORRUPT
}

func validateClickHouse(c StoreConfig) error {
	u, err := url.Parse(c.ClickHouseDSN)
	if err != nil || u.Scheme != "clickhouse" || u.Host == "" {
		return fmt.Errorf("clickhouse read model: DSN %s is not clickhouse://host:port/database", redactDSN(c.ClickHouseDSN))
	}
	return nil
}

func openClickHouseStore(ctx context.Context, _ string, cfg StoreConfig) (projections.Store, error) {
	gctuning.UseClickHouseLimit() // the store's line cache is live heap beyond the embedded default
	s, err := storeclickhouse.Open(ctx, storeclickhouse.Config{DSN: cfg.ClickHouseDSN})
	if err != nil {
		return nil, clickHouseOpenError(err, cfg.ClickHouseDSN)
	}
	return s, nil
}

// clickHouseOpenError says where the store looked for ClickHouse.
func clickHouseOpenError(err error, dsn string) error {
	return fmt.Errorf("%w (is ClickHouse running at --clickhouse-dsn %s?)", err, redactDSN(dsn))
}

// redactDSN hides a DSN's password, for error messages.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
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

// Validate reports every problem of the configuration at once. Open and
// OpenLog call it; commands call it before they touch anything.
func (c LogConfig) Validate() error {
	_, err := c.backend()
	return err
}

// backend returns the configured backend, after checking the configuration.
func (c LogConfig) backend() (logBackend, error) {
	name := c.Backend
	if name == "" {
		name = defaultLog
	}
	b, ok := eventLogs[name]
	if !ok {
		return logBackend{}, fmt.Errorf("unknown event log %q: use one of %v", c.Backend, names(eventLogs))
	}
	if err := errors.Join(b.validate(c)...); err != nil {
		return logBackend{}, err
	}
	return b, nil
}

// Validate reports every problem of the configuration at once.
func (c StoreConfig) Validate() error {
	_, err := c.backend()
	return err
}

// backend returns the configured backend, after checking the configuration.
func (c StoreConfig) backend() (storeBackend, error) {
	name := c.Backend
	if name == "" {
		name = defaultStore
	}
	b, ok := stores[name]
	if !ok {
		return storeBackend{}, fmt.Errorf("unknown read-model store %q: use one of %v", c.Backend, names(stores))
	}
	if b.validate != nil {
		if err := b.validate(c); err != nil {
			return storeBackend{}, err
		}
	}
	return b, nil
}

// OpenLog opens the configured event log, for commands that only append
// (import, registry load); it is safe beside running nodes.
func OpenLog(dataDir string, cfg LogConfig, logger *slog.Logger) (eventlog.Backend, error) {
	b, err := cfg.backend()
	if err != nil {
		return nil, err
	}
	return b.open(dataDir, cfg, watermillLogger(logger))
}

// OpenStore opens the configured read model.
func OpenStore(ctx context.Context, dataDir string, cfg StoreConfig) (projections.Store, error) {
	b, err := cfg.backend()
	if err != nil {
		return nil, err
	}
	return b.open(ctx, dataDir, cfg)
}
