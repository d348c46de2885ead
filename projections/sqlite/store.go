// Package sqlite is the single-machine read model: a SQLite file
// (modernc.org/sqlite, pure Go) holding the registry, the line states, the
// attributed ledger, the rollups and order counts the answers read (see
// README.md), income and dead letters.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
)

// Config configures the store.
type Config struct {
	// Path of the SQLite file. Required; created if missing.
	Path string
	// BusyTimeout is how long a statement waits for a lock. Default 30s.
	BusyTimeout time.Duration
	// ReadConns is how many connections serve queries. Default 4.
	ReadConns int
	// WriteCacheKiB is the page cache of the one write connection, in
	// KiB. Default 65536 (64 MiB): the projector's commits look up and
	// update index pages all over the rollups and the lines.
	WriteCacheKiB int
	// ReadCacheKiB is the page cache of each read connection, in KiB.
	// Default 16384 (16 MiB): an answer reads a few hundred pages of the
	// rollups. The caches are SQLite's, outside the Go heap, and fill up
	// to their size as pages are read, so the read model's memory is at
	// most WriteCacheKiB + ReadConns × ReadCacheKiB beside the Go heap.
	ReadCacheKiB int
}

func (c *Config) setDefaults() {
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 30 * time.Second
	}
	if c.ReadConns == 0 {
		c.ReadConns = 4
	}
	if c.WriteCacheKiB == 0 {
		c.WriteCacheKiB = 64 << 10
	}
	if c.ReadCacheKiB == 0 {
		c.ReadCacheKiB = 16 << 10
	}
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Path == "" {
		errs = append(errs, errors.New("sqlite store: Path is empty"))
	}
	if c.BusyTimeout < 0 || c.ReadConns < 0 || c.WriteCacheKiB < 0 || c.ReadCacheKiB < 0 {
		errs = append(errs, errors.New("sqlite store: BusyTimeout, ReadConns, WriteCacheKiB and ReadCacheKiB must not be negative"))
	}
	return errors.Join(errs...)
}

// Store is the SQLite read model. It is safe for concurrent use: writes go
// through one connection, queries through a pool reading WAL snapshots.
type Store struct {
	write     *sql.DB
	read      *sql.DB
	queries   queryer     // read, unless a test records the queries
	stmts     *writeStmts // prepared on write
	snapshots *projections.ListingSnapshots
}

var _ projections.Store = (*Store)(nil)

// The store reads Batch.Orders. It states no batching preferences: a commit
// is this process's own work, so the projector's defaults suit it and
// preparing the next batch meanwhile gains nothing.
var _ projections.OrderChangesNeeder = (*Store)(nil)

func dsn(cfg Config, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	// NORMAL is enough: in WAL mode a crash loses at most the last commits,
	// each whole with its checkpoint, and the projector replays them from the log.
	q.Add("_pragma", "synchronous(NORMAL)")
	// Statement journals and sorts in memory: on disk they cost a write
	// syscall per page of every multi-row statement.
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cfg.ReadCacheKiB))
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cfg.WriteCacheKiB))
		q.Set("_txlock", "immediate")
	}
	return "file:" + cfg.Path + "?" + q.Encode()
}

// Open opens (creating and migrating if needed) the store at cfg.Path.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(cfg, false))
	if err != nil {
		return nil, fmt.Errorf("open read model %s: %w", cfg.Path, err)
	}
	write.SetMaxOpenConns(1)
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open read model %s: %w", cfg.Path, err)
	}
	stmts, err := prepareWriteStmts(ctx, write)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open read model %s: %w", cfg.Path, err)
	}
	read, err := sql.Open("sqlite", dsn(cfg, true))
	if err != nil {
		stmts.close()
		write.Close()
		return nil, fmt.Errorf("open read model %s: %w", cfg.Path, err)
	}
	read.SetMaxOpenConns(cfg.ReadConns)
	return &Store{write: write, read: read, queries: read, stmts: stmts, snapshots: projections.NewListingSnapshots()}, nil
}

// Close closes the file. Safe to call twice.
func (s *Store) Close() error {
	s.stmts.close()
	return errors.Join(s.read.Close(), s.write.Close())
}

// Ping checks the store answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.read.PingContext(ctx)
}

// Checkpoint returns the consumer's committed positions.
func (s *Store) Checkpoint(ctx context.Context, consumer string) (eventlog.Positions, error) {
	rows, err := s.write.QueryContext(ctx, `SELECT partition, log_offset FROM checkpoints WHERE consumer = ?`, consumer)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint of %s: %w", consumer, err)
	}
	defer rows.Close()
	out := eventlog.Positions{}
	for rows.Next() {
		var part int32
		var off int64
		if err := rows.Scan(&part, &off); err != nil {
			return nil, err
		}
		out[part] = off
	}
	return out, rows.Err()
}

// LoadRegistry rebuilds the registry from the registry tables.
func (s *Store) LoadRegistry(ctx context.Context) (*domain.Registry, error) {
	return loadRegistry(ctx, s.write)
}

// Registry is LoadRegistry for queries.
func (s *Store) Registry(ctx context.Context) (*domain.Registry, error) {
	return loadRegistry(ctx, s.queries)
}

// queryer is what the reads need of a database handle: the read pool, or
// in tests a handle that records the queries (to explain their plans).
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func loadRegistry(ctx context.Context, db queryer) (*domain.Registry, error) {
	reg := domain.NewRegistry()
	err := db.QueryRowContext(ctx, `SELECT id, name, monitoring_line_fen FROM district`).
		Scan(&reg.District.ID, &reg.District.Name, &reg.District.MonitoringLineFen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read district: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT id, name, town FROM villages`, func(r *sql.Rows) error {
		var v domain.Village
		if err := r.Scan(&v.ID, &v.Name, &v.Town); err != nil {
			return err
		}
		reg.Villages[v.ID] = v
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read villages: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT id, village_id, members, baseline_income_fen, category FROM households`, func(r *sql.Rows) error {
		var h domain.Household
		if err := r.Scan(&h.ID, &h.VillageID, &h.Members, &h.BaselineIncomeFen, &h.Category); err != nil {
			return err
		}
		reg.Households[h.ID] = h
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read households: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT year, monitoring_line_fen FROM monitoring_lines`, func(r *sql.Rows) error {
		var l domain.MonitoringLine
		if err := r.Scan(&l.Year, &l.LineFen); err != nil {
			return err
		}
		reg.PutMonitoringLine(l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read monitoring lines: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT household_id, from_day, members, baseline_income_fen FROM household_terms`, func(r *sql.Rows) error {
		var t domain.HouseholdTerms
		if err := r.Scan(&t.HouseholdID, &t.From, &t.Members, &t.BaselineIncomeFen); err != nil {
			return err
		}
		reg.PutHouseholdTerms(t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read household terms: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT id, name, party_branch, paired_villages FROM enterprises`, func(r *sql.Rows) error {
		var e domain.Enterprise
		var paired string
		if err := r.Scan(&e.ID, &e.Name, &e.PartyBranch, &paired); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(paired), &e.PairedVillages); err != nil {
			return fmt.Errorf("enterprise %s paired villages: %w", e.ID, err)
		}
		reg.Enterprises[e.ID] = e
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read enterprises: %w", err)
	}
	if err := scanAll(ctx, db, `SELECT listing FROM listings`, func(r *sql.Rows) error {
		var raw string
		if err := r.Scan(&raw); err != nil {
			return err
		}
		var l domain.Listing
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			return fmt.Errorf("listing: %w", err)
		}
		reg.PutListing(l)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read listings: %w", err)
	}
	return reg, nil
}

func scanAll(ctx context.Context, db interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, query string, each func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// loadChunk bounds the bound variables of one IN (...) query.
const loadChunk = 400

// LoadLines returns the stored states of every line of the given orders.
func (s *Store) LoadLines(ctx context.Context, orders []projections.OrderRef) ([]domain.LineState, error) {
	type row struct {
		key domain.LineKey
		raw []byte
	}
	var rows []row
	for start := 0; start < len(orders); start += loadChunk {
		chunk := orders[start:min(start+loadChunk, len(orders))]
		args := make([]any, 0, 2*len(chunk))
		for _, o := range chunk {
			args = append(args, o.Platform, o.OrderID)
		}
		q := `SELECT platform, order_id, line_id, state FROM lines WHERE (platform, order_id) IN (VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?),", len(chunk)), ",") + `)`
		err := scanAll(ctx, s.write, q, func(r *sql.Rows) error {
			var x row
			if err := r.Scan(&x.key.Platform, &x.key.OrderID, &x.key.LineID, &x.raw); err != nil {
				return err
			}
			rows = append(rows, x)
			return nil
		}, args...)
		if err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
	}
	// Decoded after the rows are closed: resolving a listing snapshot needs
	// the write handle's one connection.
	out := make([]domain.LineState, 0, len(rows))
	for _, x := range rows {
		st, err := s.decodeLine(ctx, s.write, x.key, x.raw)
		if err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
		out = append(out, st)
	}
	return out, nil
}

// KnownIncome returns the stored income records among the event ids.
func (s *Store) KnownIncome(ctx context.Context, ids []string) (map[string]domain.IncomeRecorded, error) {
	known := map[string]domain.IncomeRecorded{}
	for start := 0; start < len(ids); start += loadChunk {
		chunk := ids[start:min(start+loadChunk, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := `SELECT event_id, household_id, kind, amount_fen, enterprise_id, occurred_at, reference FROM income WHERE event_id IN (` +
			strings.TrimSuffix(strings.Repeat("?,", len(chunk)), ",") + `)`
		if err := scanAll(ctx, s.write, q, func(r *sql.Rows) error {
			var id string
			var in domain.IncomeRecorded
			var at int64
			if err := r.Scan(&id, &in.HouseholdID, &in.Kind, &in.AmountFen, &in.EnterpriseID, &at, &in.Reference); err != nil {
				return err
			}
			in.OccurredAt = time.Unix(at, 0).In(domain.ChinaTime)
			known[id] = in
			return nil
		}, args...); err != nil {
			return nil, fmt.Errorf("look up income: %w", err)
		}
	}
	return known, nil
}

// PutDeadLetters stores dead letters, once each.
func (s *Store) PutDeadLetters(ctx context.Context, dls []domain.DeadLetter) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, dl := range dls {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO dead_letters (id, source, reason, raw, received_at) VALUES (?, ?, ?, ?, ?)`,
			dl.ID, dl.Source, dl.Reason, dl.Raw, dl.ReceivedAt.UnixNano()); err != nil {
			return fmt.Errorf("store dead letter %s: %w", dl.ID, err)
		}
	}
	return tx.Commit()
}
