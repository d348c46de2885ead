// Package clickhouse is the cluster read model: the registry, the line
// states, the signed ledger and its daily rollup, income and dead letters in
// ClickHouse (through clickhouse-go/v2 over the native protocol), answering
// exactly as the SQLite store does. ClickHouse has no transactions, so the
// store numbers its commits and makes a commit's rows visible only once its
// checkpoint row is in; see README.md.
package clickhouse

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// Config configures the store.
type Config struct {
	// DSN addresses the server over the native protocol, e.g.
	// clickhouse://user:password@127.0.0.1:9000/loquat?dial_timeout=5s.
	// Required.
	DSN string
	// Database holds the tables; it is created if missing. Default: the
	// DSN's database, or "loquat" when the DSN names none.
	Database string
	// TablePrefix is put before every table name, so several read models
	// can share a database. Default "". Shadow adds "rebuild_" to it.
	TablePrefix string
	// MaxInsertRows is the most rows one INSERT carries; a commit with more
	// rows for one table sends several. Default 100000.
	MaxInsertRows int
	// LineCacheLines is how many order lines' states the projector's store
	// keeps in memory (about 400 bytes each), so that it reads back from
	// ClickHouse only lines it does not hold. Default 1,000,000; negative:
	// no cache, every batch reads its orders' lines from ClickHouse.
	LineCacheLines int
	// FoldMinRows is how many rows the daily rollup's current generation
	// holds before a commit folds it (see fold.go); it is folded again
	// once it holds twice what its fold wrote. Default 100,000; negative:
	// never fold.
	FoldMinRows int
	// CleanupTimeout bounds how long a commit waits for the rows of an
	// earlier, failed commit to be deleted before it gives up (and the
	// projector retries). Default 5 minutes.
	CleanupTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Database == "" {
		if u, err := url.Parse(c.DSN); err == nil {
			c.Database = strings.Trim(u.Path, "/")
		}
		if c.Database == "" {
			c.Database = "loquat"
		}
	}
	if c.MaxInsertRows == 0 {
		c.MaxInsertRows = 100000
	}
	if c.CleanupTimeout == 0 {
		c.CleanupTimeout = 5 * time.Minute
	}
	if c.LineCacheLines == 0 {
		c.LineCacheLines = 1_000_000
	}
	if c.FoldMinRows == 0 {
		c.FoldMinRows = 100_000
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("clickhouse store: DSN is empty"))
	} else if _, err := clickhouse.ParseDSN(c.DSN); err != nil {
		errs = append(errs, fmt.Errorf("clickhouse store: DSN: %w", err))
	}
	if c.Database != "" && !plainName(c.Database) {
		errs = append(errs, fmt.Errorf("clickhouse store: Database %q must be letters, digits and _", c.Database))
	}
	if c.TablePrefix != "" && !plainName(c.TablePrefix) {
		errs = append(errs, fmt.Errorf("clickhouse store: TablePrefix %q must be letters, digits and _", c.TablePrefix))
	}
	if c.MaxInsertRows < 0 || c.CleanupTimeout < 0 {
		errs = append(errs, errors.New("clickhouse store: MaxInsertRows and CleanupTimeout must not be negative"))
	}
	return errors.Join(errs...)
}

// plainName reports whether s is a safe unquoted identifier part.
func plainName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ErrClosed is returned by every call after Close.
var ErrClosed = errors.New("clickhouse store: closed")

// ErrForeignWriter is returned by Commit once the tables' last checkpoint is
// not the one this store wrote: a second projector writes to the same
// tables, or a rebuild was swapped in under this store. The store then
// refuses to commit until it is reopened (and its projector restarted from
// the new checkpoint), since its batch numbering no longer holds.
var ErrForeignWriter = errors.New("clickhouse store: another writer committed to these tables; reopen the store")

// Store is the ClickHouse read model. It is safe for concurrent use: queries
// run in parallel; commits are serialised (one projector writes a store).
type Store struct {
	cfg    Config
	conn   driver.Conn
	dial   func(context.Context) (driver.Conn, error) // a connection to the same server, for Shadow
	closed atomic.Bool
	once   sync.Once

	// names maps a logical table name to its qualified name; SwapIn
	// replaces it, so it is read under namesMu.
	namesMu sync.RWMutex
	names   map[string]string
	prefix  string

	snapshots *projections.ListingSnapshots
	lines     *lineCache
	// registryCache is the registry as of registryCacheKey (the last batch
	// that wrote it, and the last writer), for Registry; guarded by registryMu.
	registryMu       sync.Mutex
	registryCache    *domain.Registry
	registryCacheKey string
	// retractedList is liveEntries' list of retracted keys as of
	// retractedKey (committed batch and writer); guarded by retractedMu.
	retractedMu   sync.Mutex
	retractedKey  string
	retractedList string
	applied       []int // migrations this Open applied

	// shadow is set on a store returned by Shadow, whose tables replace
	// those of prefix live on SwapIn.
	shadow bool
	live   string

	// writeMu serialises Commit, the shadow's SwapIn and the writer state below.
	writeMu sync.Mutex
	w       writerState
	// insertHook, when set (tests), runs before (sent false) and after
	// (sent true) each insert of a commit; an error fails the insert.
	insertHook func(ctx context.Context, table string, sent bool) error
}

var _ projections.Store = (*Store)(nil)

// The store's optional capabilities (projections/store.go).
var (
	_ projections.OrderChangesNeeder = (*Store)(nil)
	_ projections.BatchingPreferrer  = (*Store)(nil)
	_ projections.WritesPreparer     = (*Store)(nil)
)

// Open connects, creates the database and applies the schema migrations. It
// does not touch rows: the first Commit cleans up after a crashed one (a
// process that only reads must never delete a writer's batch in flight).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	return openWith(ctx, cfg, func(ctx context.Context) (driver.Conn, error) { return connect(ctx, cfg.DSN) })
}

// openWith is Open over connections made by dial, which Shadow calls again
// for the rebuild's own: the tests run the store's SQL on an embedded
// ClickHouse engine this way (chdb_test.go).
func openWith(ctx context.Context, cfg Config, dial func(context.Context) (driver.Conn, error)) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	conn, err := dial(ctx)
	if err != nil {
		return nil, err
	}
	s := newStore(cfg, conn)
	s.dial = dial
	if err := s.exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(cfg.Database)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse store: create database %s: %w", cfg.Database, err)
	}
	if s.applied, err = s.migrate(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse store %s: %w", cfg.Database, err)
	}
	return s, nil
}

func connect(ctx context.Context, dsn string) (driver.Conn, error) {
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse store: DSN: %w", err)
	}
	if opts.Protocol != clickhouse.Native {
		return nil, errors.New("clickhouse store: the DSN must use the native protocol (clickhouse://host:9000/db)")
	}
	// Every name the store uses is qualified with its database, which may
	// not exist yet: the session starts in the user's default database.
	opts.Auth.Database = ""
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse store: connect: %w", err)
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("clickhouse store: connect to %s: %w", strings.Join(opts.Addr, ","), err)
	}
	return conn, nil
}

func newStore(cfg Config, conn driver.Conn) *Store {
	s := &Store{cfg: cfg, conn: conn, snapshots: projections.NewListingSnapshots(), lines: newLineCache(cfg.LineCacheLines)}
	s.setNames(cfg.TablePrefix)
	s.w.writer = randomID()
	return s
}

func randomID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// tables lists every table of a read model, in creation order.
var tables = []string{
	"schema_migrations", "checkpoints",
	"district", "villages", "households", "enterprises", "listings",
	"lines", "listing_snapshots", "entries", "ledger", "sales_daily", "livestreams", "income",
	"dead_letters", "sales_rollup", "order_counts", "livestream_entries", "refund_entries", "sales_summary",
	"retracted_entries", "shares", "conflicts", "monitoring_lines", "household_terms", "corrections",
}

// batchedTables are the tables whose rows carry the batch that wrote them.
var batchedTables = []string{
	"district", "villages", "households", "enterprises", "listings",
	"lines", "listing_snapshots", "entries", "livestream_entries", "refund_entries", "retracted_entries", "shares", "ledger", "sales_daily", "sales_rollup", "sales_summary", "order_counts",
	"livestreams", "income", "conflicts", "monitoring_lines", "household_terms", "corrections", "checkpoints",
}

func (s *Store) setNames(prefix string) {
	names := make(map[string]string, len(tables))
	for _, t := range tables {
		names[t] = quoteIdent(s.cfg.Database) + "." + quoteIdent(prefix+t)
	}
	s.namesMu.Lock()
	s.names, s.prefix = names, prefix
	s.namesMu.Unlock()
}

// t returns the qualified name of a table.
func (s *Store) t(name string) string {
	s.namesMu.RLock()
	defer s.namesMu.RUnlock()
	q, ok := s.names[name]
	if !ok {
		panic("clickhouse store: unknown table " + name)
	}
	return q
}

// visible reads the last committed batch and returns the condition that
// keeps a read to it (batch <= N), so rows of a commit in flight or of a
// failed one are never served. It is a query of its own, not a subquery:
// a query that locks two tables can deadlock with the RENAME of a rebuild
// swap on older servers (18.x takes the tables' locks in name order).
func (s *Store) visible(ctx context.Context) (string, error) {
	batch, _, err := s.committedState(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("batch <= %d", batch), nil
}

// visibleRollup is visible for sales_rollup: the committed batches of the
// generation the last checkpoint names (see fold.go).
func (s *Store) visibleRollup(ctx context.Context) (string, error) {
	batch, gen, err := s.committedState(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("gen = %d AND batch <= %d", gen, batch), nil
}

// committedState reads the last committed batch and its rollup generation.
func (s *Store) committedState(ctx context.Context) (batch, gen uint64, err error) {
	c, err := s.lastCommitted(ctx)
	return c.batch, c.gen, err
}

// committed is what the last checkpoint says.
type committed struct {
	batch uint64
	gen   uint64 // the rollups' generation
	// registry is the last batch that wrote the registry (0: not known).
	registry uint64
	// writer wrote the last batch: batch numbers start again in a rebuild's
	// tables, whose writer is another.
	writer string
}

// lastCommitted reads the last checkpoint, once per read snapshot (see
// projections.WithReadSnapshot).
func (s *Store) lastCommitted(ctx context.Context) (committed, error) {
	return projections.Snapshot(ctx, func() (committed, error) { return s.readLastCommitted(ctx) })
}

// SnapshotHeld reports whether the reads under ctx's read snapshot all read
// the tables its checkpoint came from (projections.SnapshotChecker). A
// rebuild's swap renames the live checkpoints away first and its own in
// last (SwapIn), so a checkpoint read again after the answer's reads,
// from the same writer, proves that no rename had begun when they ran; a
// missing table means a swap in progress.
func (s *Store) SnapshotHeld(ctx context.Context, answerErr error) bool {
	if isUnknownTable(answerErr) {
		return false
	}
	c, ok := projections.SnapshotValue[committed](ctx)
	if !ok {
		return true // nothing was read under it
	}
	now, err := s.readLastCommitted(ctx)
	return err == nil && now.writer == c.writer
}

// isUnknownTable reports whether err is the server's "table doesn't exist".
func isUnknownTable(err error) bool { return serverError(err, codeUnknownTable) }

// codeUnknownTable is the server's UNKNOWN_TABLE error code.
const codeUnknownTable = 60

func (s *Store) readLastCommitted(ctx context.Context) (committed, error) {
	var c committed
	if err := s.query(ctx, `SELECT max(batch), argMax(fold, batch), argMax(registry, batch), argMax(writer, batch) FROM `+s.t("checkpoints"), func(r driver.Rows) error {
		return r.Scan(&c.batch, &c.gen, &c.registry, &c.writer)
	}); err != nil {
		return c, fmt.Errorf("read the committed batch: %w", err)
	}
	return c, nil
}

// Close closes the connections. Safe to call twice.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.closed.Store(true)
		err = s.conn.Close()
	})
	return err
}

func (s *Store) open() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Ping checks the store answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.open(); err != nil {
		return err
	}
	return s.conn.Ping(ctx)
}

func (s *Store) exec(ctx context.Context, query string) error {
	if err := s.open(); err != nil {
		return err
	}
	return s.conn.Exec(ctx, query)
}

// query runs a query whose values are already literals (see lit): the store
// never passes driver arguments, so no value is ever parsed as a placeholder.
func (s *Store) query(ctx context.Context, query string, each func(driver.Rows) error) error {
	if err := s.open(); err != nil {
		return err
	}
	rows, err := s.conn.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}

// lit quotes a string as a ClickHouse literal. The server's parser reads any
// byte inside quotes; only the backslash and the quote need escaping.
func lit(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '\'':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteIdent quotes an identifier with backquotes.
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(s) + "`"
}

// withSettings sets query settings; values must be int or bool, the only
// kinds an 18.x server's protocol revision takes.
func withSettings(ctx context.Context, settings map[string]any) context.Context {
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings(settings)))
}
