package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/projections"
)

// migrations are applied in order and recorded in schema_migrations; a
// migration never changes once released — a change is a new migration.
// ClickHouse runs one statement per query and has no DDL transactions, so
// every statement must be idempotent (IF NOT EXISTS): a migration cut short
// is applied again whole. {name} stands for a table's qualified name.
//
// Engines: every table whose rows a commit writes is a plain MergeTree with
// a batch column. None is a ReplacingMergeTree or SummingMergeTree: a merge
// could fold a failed commit's row into a committed one before the cleanup
// deletes it (losing the committed one), or sum away the batch number that
// visibility and cleanup need. Current values are read with argMax(…, batch).
var migrations = [][]string{
	// 1: registry, line states, signed ledger, daily rollup, income, dead letters, checkpoints.
	{
		// One row per commit, inserted last: the commit's number and the
		// consumer's positions after it. max(batch) is the committed batch.
		`CREATE TABLE IF NOT EXISTS {checkpoints} (
			consumer String,
			batch UInt64,
			partitions Array(Int32),
			offsets Array(Int64),
			writer String,
			committed_at DateTime
		) ENGINE = MergeTree ORDER BY (consumer, batch)`,

		// The registry: a new row per upsert; the row of the highest batch wins.
		`CREATE TABLE IF NOT EXISTS {district} (
			id String, name String, monitoring_line_fen Int64, batch UInt64
		) ENGINE = MergeTree ORDER BY batch`,
		`CREATE TABLE IF NOT EXISTS {villages} (
			id String, name String, town String, batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
		`CREATE TABLE IF NOT EXISTS {households} (
			id String, village_id String, members Int64, baseline_income_fen Int64, category String, batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
		`CREATE TABLE IF NOT EXISTS {enterprises} (
			id String, name String, party_branch String,
			paired_villages String, -- JSON array
			batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
		`CREATE TABLE IF NOT EXISTS {listings} (
			platform String, sku_id String,
			effective_from Int64, -- Unix nanoseconds
			listing String,       -- JSON of domain.Listing
			batch UInt64
		) ENGINE = MergeTree ORDER BY (platform, sku_id, effective_from, batch)`,

		// A line's state (JSON, its listing as a reference into
		// listing_snapshots) per change; LoadLines takes the latest
		// committed one by (platform, order_id), a prefix of the key.
		`CREATE TABLE IF NOT EXISTS {lines} (
			platform String, order_id String, line_id String,
			state String,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (platform, order_id, line_id, batch)`,
		`CREATE TABLE IF NOT EXISTS {listing_snapshots} (
			hash String, listing String, batch UInt64
		) ENGINE = MergeTree ORDER BY hash`,

		// Ledger entries, signed: an entry is added with sign 1 and retracted
		// by the same row with sign -1. An entry is live while its signs sum
		// to 1; orders, buyers, minutes and unattributed SKUs are counted
		// over live entries.
		`CREATE TABLE IF NOT EXISTS {entries} (
			day String,    -- China time, YYYY-MM-DD
			platform String, order_id String, line_id String, entry_id String,
			kind String,   -- sale | refund
			at Int64,      -- Unix seconds
			minute String, -- China time, YYYY-MM-DDTHH:MM
			sku_id String, product String, enterprise_id String, village_id String,
			livestream_id String, buyer_ref String,
			attributed UInt8, -- 0: no listing covered the line
			amount_fen Int64, -- signed: negative for a refund
			sign Int8,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (day, platform, order_id, line_id, entry_id)`,
		// The attributed ledger: one row per party per entry, signed alike.
		`CREATE TABLE IF NOT EXISTS {ledger} (
			platform String, order_id String, line_id String, entry_id String,
			party_kind String, party_id String,
			amount_fen Int64,
			sign Int8,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (platform, order_id, line_id, entry_id, party_kind, party_id)`,
		// Each batch's change of money by China-time day and every dimension
		// the API groups by: one row per key per batch, summed when read.
		`CREATE TABLE IF NOT EXISTS {sales_daily} (
			day String, platform String, product String, enterprise_id String, village_id String,
			livestream_id String, party_kind String, party_id String,
			sales_fen Int64, refunds_fen Int64,
			batch UInt64
		) ENGINE = MergeTree
		ORDER BY (day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id, batch)`,
		`CREATE TABLE IF NOT EXISTS {livestreams} (
			id String, platform String, room_id String, anchor_name String, batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
		`CREATE TABLE IF NOT EXISTS {income} (
			event_id String, household_id String, kind String, amount_fen Int64, enterprise_id String,
			occurred_at Int64, -- Unix seconds
			day String, reference String,
			batch UInt64
		) ENGINE = MergeTree ORDER BY event_id`,

		// Dead letters are not part of a batch: storing one is idempotent.
		// version falls with the time of storing, so merges keep the first
		// stored copy, as reads do (argMax).
		`CREATE TABLE IF NOT EXISTS {dead_letters} (
			id String, source String, reason String, raw String,
			received_at Int64, -- Unix nanoseconds
			version UInt64
		) ENGINE = ReplacingMergeTree(version) ORDER BY id`,
	},
	// 2: the daily rollup by fold generation (see fold.go): sales_rollup
	// replaces sales_daily, whose rows are copied into generation 0, sorted
	// by party (queries without a party read sales_summary); the checkpoint
	// names the generation readers read. Run again whole if cut
	// short (the copy starts from an empty table).
	{
		`ALTER TABLE {checkpoints} ADD COLUMN fold UInt64 DEFAULT 0`,
		// The last batch that wrote the registry, for readers' registry cache.
		`ALTER TABLE {checkpoints} ADD COLUMN registry UInt64 DEFAULT 0`,
		`DROP TABLE IF EXISTS {sales_rollup}`,
		`CREATE TABLE {sales_rollup} (
			day String, platform String, product String, enterprise_id String, village_id String,
			livestream_id String, party_kind String, party_id String,
			sales_fen Int64, refunds_fen Int64,
			gen UInt64,
			batch UInt64
		) ENGINE = MergeTree
		PARTITION BY gen
		ORDER BY (party_kind, party_id, day, platform, product, enterprise_id, village_id, livestream_id, batch)`,
		`INSERT INTO {sales_rollup} SELECT day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id,
			sales_fen, refunds_fen, 0, batch FROM {sales_daily}`,
	},
	// 3: order counts per day and grouping (see orders.go), counted from
	// the committed live sale entries into the current generation. Run
	// again whole if cut short.
	append([]string{
		`DROP TABLE IF EXISTS {order_counts}`,
		`CREATE TABLE {order_counts} (
			gs String, -- the grouping: all, platform, enterprise_id, …
			day String, platform String, enterprise_id String, village_id String, livestream_id String,
			orders Int64,
			gen UInt64,
			batch UInt64
		) ENGINE = MergeTree
		PARTITION BY gen
		ORDER BY (gs, day, platform, enterprise_id, village_id, livestream_id, batch)`,
	}, orderCountsBackfill()...),
	// 4: the entries sold through a livestream again, sorted by livestream.
	// Run again whole if cut short.
	{
		`DROP TABLE IF EXISTS {livestream_entries}`,
		`CREATE TABLE {livestream_entries} (` + entryColumnTypes + `) ENGINE = MergeTree
		ORDER BY (livestream_id, day, platform, order_id, line_id, entry_id)`,
		`INSERT INTO {livestream_entries} SELECT ` + entryColumns + ` FROM {entries} WHERE livestream_id != ''`,
	},
	// 5: the refund entries again, for counting refunded orders. Run again
	// whole if cut short.
	{
		`DROP TABLE IF EXISTS {refund_entries}`,
		`CREATE TABLE {refund_entries} (` + entryColumnTypes + `) ENGINE = MergeTree
		ORDER BY (day, platform, order_id, line_id, entry_id)`,
		`INSERT INTO {refund_entries} SELECT ` + entryColumns + ` FROM {entries} WHERE kind = 'refund'`,
	},
	// 6: the daily rollup summed over party_id (see summaryInsert), batch
	// by batch from sales_rollup. Run again whole if cut short.
	{
		`DROP TABLE IF EXISTS {sales_summary}`,
		`CREATE TABLE {sales_summary} (
			day String, platform String, product String, enterprise_id String, village_id String,
			livestream_id String, party_kind String,
			sales_fen Int64, refunds_fen Int64,
			gen UInt64,
			batch UInt64
		) ENGINE = MergeTree
		PARTITION BY gen
		ORDER BY (day, platform, product, enterprise_id, village_id, livestream_id, party_kind, batch)`,
		`INSERT INTO {sales_summary} SELECT day, platform, product, enterprise_id, village_id, livestream_id, party_kind,
			toInt64(sum(sales_fen)), toInt64(sum(refunds_fen)), gen, batch FROM {sales_rollup}
			GROUP BY day, platform, product, enterprise_id, village_id, livestream_id, party_kind, gen, batch`,
	},
	// 7: the keys of the entries' retraction rows (see liveEntries). Run
	// again whole if cut short.
	{
		`DROP TABLE IF EXISTS {retracted_entries}`,
		`CREATE TABLE {retracted_entries} (
			platform String, order_id String, line_id String, entry_id String,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (platform, order_id, line_id, entry_id)`,
		`INSERT INTO {retracted_entries} SELECT platform, order_id, line_id, entry_id, batch FROM {entries} WHERE sign < 0`,
	},
	// 8: the attributed ledger as each entry's shares: the entry's id and
	// the party's share, signed like the entry's row, ordered by the batch
	// that wrote them. The ledger repeated the entry's platform, order and
	// line on every share, and its sort key made the server sort every
	// insert. Commits write shares from here on; the ledger keeps what was
	// written before (copying it would race a second process migrating or
	// a projector of the earlier build still committing), and a rebuild
	// writes everything into shares.
	{
		`CREATE TABLE IF NOT EXISTS {shares} (
			entry_id String,
			party_kind String, party_id String,
			amount_fen Int64,
			sign Int8,
			batch UInt64
		) ENGINE = MergeTree ORDER BY batch`,
	},
	// 9: conflicts — rejected versions of facts beside the versions that
	// count (JSON of domain.Conflict). A conflict delivered again is a row
	// again with the same id: read once, its first committed row.
	{
		`CREATE TABLE IF NOT EXISTS {conflicts} (
			id String,
			detected_at Int64, -- Unix seconds
			conflict String,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
	},
	// 10: the registry over time (issue #17): monitoring lines per year and
	// households' members and baseline income from a date on; like the
	// other registry tables, a new row per upsert, the highest batch's wins.
	{
		`CREATE TABLE IF NOT EXISTS {monitoring_lines} (
			year Int64, monitoring_line_fen Int64, batch UInt64
		) ENGINE = MergeTree ORDER BY (year, batch)`,
		`CREATE TABLE IF NOT EXISTS {household_terms} (
			household_id String,
			from_day String, -- YYYY-MM-DD, China time
			members Int64, baseline_income_fen Int64, batch UInt64
		) ENGINE = MergeTree ORDER BY (household_id, from_day, batch)`,
	},
	// 11: corrections (issue #17) — operators' corrections as applied
	// (JSON of projections.CorrectionRecord). One delivered again is a row
	// again with the same id: read once, its first committed row.
	{
		`CREATE TABLE IF NOT EXISTS {corrections} (
			id String,
			at Int64, -- Unix nanoseconds
			target String,
			record String,
			batch UInt64
		) ENGINE = MergeTree ORDER BY (id, batch)`,
	},
}

// orderCountsBackfill counts the committed live sale entries into
// order_counts, one statement per grouping.
func orderCountsBackfill() []string {
	var out []string
	for _, g := range orderGroupings {
		cols := map[projections.Dim]string{}
		for _, d := range g {
			cols[d] = string(d)
		}
		col := func(d projections.Dim) string {
			if c, ok := cols[d]; ok {
				return c
			}
			return "''"
		}
		group := []string{"day"}
		for _, d := range g {
			group = append(group, string(d))
		}
		out = append(out, `INSERT INTO {order_counts} SELECT `+lit(groupingName(g))+`, day, `+
			col(projections.DimPlatform)+`, `+col(projections.DimEnterprise)+`, `+col(projections.DimVillage)+`, `+col(projections.DimLivestream)+`,
			toInt64(uniqExact(platform, order_id)),
			(SELECT argMax(fold, batch) FROM {checkpoints}), (SELECT max(batch) FROM {checkpoints})
			FROM (SELECT day, platform, order_id, enterprise_id, village_id, livestream_id FROM {entries}
				WHERE kind = 'sale' AND batch <= (SELECT max(batch) FROM {checkpoints})
				GROUP BY day, platform, order_id, line_id, entry_id, enterprise_id, village_id, livestream_id
				HAVING sum(sign) > 0)
			GROUP BY `+strings.Join(group, ", "))
	}
	return out
}

// entryColumns are the columns of entries and of its copies
// (livestream_entries, refund_entries), entryColumnTypes their types.
const (
	entryColumns = `day, platform, order_id, line_id, entry_id, kind, at, minute,
		sku_id, product, enterprise_id, village_id, livestream_id, buyer_ref, attributed, amount_fen, sign, batch`
	entryColumnTypes = `day String, platform String, order_id String, line_id String, entry_id String,
		kind String, at Int64, minute String,
		sku_id String, product String, enterprise_id String, village_id String,
		livestream_id String, buyer_ref String,
		attributed UInt8, amount_fen Int64, sign Int8,
		batch UInt64`
)

// expand replaces {name} with the qualified table names.
func (s *Store) expand(stmt string) string {
	pairs := make([]string, 0, 2*len(tables))
	for _, t := range tables {
		pairs = append(pairs, "{"+t+"}", s.t(t))
	}
	return strings.NewReplacer(pairs...).Replace(stmt)
}

// migrate applies the missing migrations and returns the versions it applied.
func (s *Store) migrate(ctx context.Context) ([]int, error) {
	if err := s.exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.t("schema_migrations")+
		` (version UInt32, applied_at DateTime) ENGINE = MergeTree ORDER BY version`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	have, err := s.SchemaVersions(ctx)
	if err != nil {
		return nil, err
	}
	top := 0
	if len(have) > 0 {
		top = have[len(have)-1]
	}
	if top > len(migrations) {
		return nil, fmt.Errorf("read model is at schema version %d, newer than this build knows (%d): upgrade loquat", top, len(migrations))
	}
	var applied []int
	for v := top + 1; v <= len(migrations); v++ {
		// Another process opening the store may have applied it meanwhile:
		// applying it again would drop and refill tables it may already be
		// committing to (migrations 2-7 rebuild theirs). Checked before each
		// migration, the window is one migration's statements long.
		if v > top+1 {
			have, err := s.SchemaVersions(ctx)
			if err != nil {
				return applied, err
			}
			if slices.Contains(have, v) {
				continue
			}
		}
		for i, stmt := range migrations[v-1] {
			if err := s.exec(ctx, s.expand(stmt)); err != nil && !columnExists(stmt, err) {
				return applied, fmt.Errorf("migration %d, statement %d: %w", v, i+1, err)
			}
		}
		record := &insert{table: "schema_migrations", columns: []string{"version", "applied_at"},
			parts: []part{&col[uint32]{uint32(v)}, &col[time.Time]{time.Now()}}}
		if err := s.send(ctx, record, 0); err != nil {
			return applied, fmt.Errorf("record migration %d: %w", v, err)
		}
		applied = append(applied, v)
	}
	return applied, nil
}

// columnExists reports whether err is an ADD COLUMN's of a column that is
// there already: 18.x has no ADD COLUMN IF NOT EXISTS, and a migration cut
// short is applied again whole.
func columnExists(stmt string, err error) bool {
	return strings.Contains(stmt, " ADD COLUMN ") && serverError(err, codeDuplicateColumn)
}

// serverError reports whether err is the server's exception with the code.
func serverError(err error, code int32) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && ex.Code == code
}

// codeDuplicateColumn is the server's DUPLICATE_COLUMN error code.
const codeDuplicateColumn = 15

// SchemaVersions lists the schema migrations recorded in the store, in order.
// Two processes opening a new store at once may both apply a migration (its
// statements are idempotent) and both record it: a version is listed once.
func (s *Store) SchemaVersions(ctx context.Context) ([]int, error) {
	var out []int
	err := s.query(ctx, `SELECT DISTINCT version FROM `+s.t("schema_migrations")+` ORDER BY version`, func(r driver.Rows) error {
		var v uint32
		if err := r.Scan(&v); err != nil {
			return err
		}
		out = append(out, int(v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read schema versions: %w", err)
	}
	return out, nil
}
