package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order and recorded in schema_migrations; a
// migration never changes once released — a change is a new migration.
var migrations = []string{
	// 1: registry, line states, ledger, rollups, income, dead letters, checkpoints.
	`
CREATE TABLE checkpoints (
	consumer TEXT NOT NULL,
	partition INTEGER NOT NULL,
	log_offset INTEGER NOT NULL,
	PRIMARY KEY (consumer, partition)
) WITHOUT ROWID;

CREATE TABLE district (
	singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
	id TEXT NOT NULL,
	name TEXT NOT NULL,
	monitoring_line_fen INTEGER NOT NULL
);
CREATE TABLE villages (id TEXT PRIMARY KEY, name TEXT NOT NULL, town TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE households (
	id TEXT PRIMARY KEY,
	village_id TEXT NOT NULL,
	members INTEGER NOT NULL,
	baseline_income_fen INTEGER NOT NULL,
	category TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX households_village ON households (village_id);
CREATE TABLE enterprises (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	party_branch TEXT NOT NULL,
	paired_villages TEXT NOT NULL -- JSON array
) WITHOUT ROWID;
CREATE TABLE listings (
	platform TEXT NOT NULL,
	sku_id TEXT NOT NULL,
	effective_from INTEGER NOT NULL, -- Unix nanoseconds
	listing TEXT NOT NULL,           -- JSON of domain.Listing
	PRIMARY KEY (platform, sku_id, effective_from)
) WITHOUT ROWID;

-- One row per order line: its payment, refunds and fixed listing (JSON of
-- domain.LineState, the listing as a reference into listing_snapshots). The
-- projector reloads it when the line changes. Platform order ids grow with
-- time, so rows are appended near the end of the index, not all over it.
CREATE TABLE lines (
	platform TEXT NOT NULL,
	order_id TEXT NOT NULL,
	line_id TEXT NOT NULL,
	state BLOB NOT NULL
);
CREATE UNIQUE INDEX lines_key ON lines (platform, order_id, line_id);

-- Listings as they attributed lines, by content hash: many lines share one.
CREATE TABLE listing_snapshots (
	hash TEXT PRIMARY KEY,
	listing TEXT NOT NULL
) WITHOUT ROWID;

-- Ledger entries: one row per paid line or (clipped) refund, with the
-- attributes every share of it has in common. Orders, buyers, minutes and
-- unattributed sales are counted here.
CREATE TABLE entries (
	id INTEGER PRIMARY KEY,
	platform TEXT NOT NULL,
	order_id TEXT NOT NULL,
	line_id TEXT NOT NULL,
	entry_id TEXT NOT NULL,
	kind TEXT NOT NULL,            -- sale | refund
	at INTEGER NOT NULL,           -- Unix seconds
	day TEXT NOT NULL,             -- China time
	minute TEXT NOT NULL,          -- China time
	sku_id TEXT NOT NULL,
	product TEXT NOT NULL,
	enterprise_id TEXT NOT NULL,
	village_id TEXT NOT NULL,
	livestream_id TEXT NOT NULL,
	buyer_ref TEXT NOT NULL,
	attributed INTEGER NOT NULL,   -- 0: no listing covered the line
	amount_fen INTEGER NOT NULL    -- signed
);
-- Platform order ids grow with time, so this index is appended to near its end.
CREATE UNIQUE INDEX entries_key ON entries (platform, order_id, line_id, entry_id);
CREATE INDEX entries_day ON entries (day);
CREATE INDEX entries_livestream ON entries (livestream_id, minute) WHERE livestream_id <> '';
CREATE INDEX entries_unattributed ON entries (platform, sku_id) WHERE attributed = 0;

-- The attributed ledger: one row per party per entry, clustered by entry
-- (ids only grow, so rows are appended).
CREATE TABLE ledger (
	entry INTEGER NOT NULL,        -- entries.id
	party_kind TEXT NOT NULL,      -- household | collective | enterprise | unattributed
	party_id TEXT NOT NULL,
	amount_fen INTEGER NOT NULL,   -- signed
	PRIMARY KEY (entry, party_kind, party_id)
) WITHOUT ROWID;

-- Money by China-time day and every dimension the API groups by.
CREATE TABLE sales_daily (
	day TEXT NOT NULL,
	platform TEXT NOT NULL,
	product TEXT NOT NULL,
	enterprise_id TEXT NOT NULL,
	village_id TEXT NOT NULL,
	livestream_id TEXT NOT NULL,
	party_kind TEXT NOT NULL,
	party_id TEXT NOT NULL,
	sales_fen INTEGER NOT NULL,
	refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id)
) WITHOUT ROWID;
CREATE INDEX sales_daily_party ON sales_daily (party_kind, party_id, day);
CREATE INDEX sales_daily_enterprise ON sales_daily (enterprise_id, day);

CREATE TABLE livestreams (
	id TEXT PRIMARY KEY,
	platform TEXT NOT NULL,
	room_id TEXT NOT NULL,
	anchor_name TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE income (
	event_id TEXT PRIMARY KEY,
	household_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	amount_fen INTEGER NOT NULL,
	enterprise_id TEXT NOT NULL,
	occurred_at INTEGER NOT NULL,
	day TEXT NOT NULL,
	reference TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX income_day ON income (day, household_id);

CREATE TABLE dead_letters (
	id TEXT PRIMARY KEY,
	source TEXT NOT NULL,
	reason TEXT NOT NULL,
	raw BLOB NOT NULL,
	received_at INTEGER NOT NULL   -- Unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX dead_letters_received ON dead_letters (received_at);
`,
	// 2: rollups by China-time day (and month) for every grouping the API
	// reads, order counts per day, covering indexes for what is still read
	// from the entries; the rollups and counts filled from sales_daily and
	// the entries, and sales_daily dropped (see rollups.go and orders.go).
	`
CREATE TABLE sales_platform_day (
	day TEXT NOT NULL, platform TEXT NOT NULL, party_kind TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (day, platform, party_kind)
) WITHOUT ROWID;
CREATE TABLE sales_village_day (
	day TEXT NOT NULL, village_id TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (day, village_id)
) WITHOUT ROWID;
CREATE TABLE sales_livestream_day (
	livestream_id TEXT NOT NULL, day TEXT NOT NULL, enterprise_id TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (livestream_id, day, enterprise_id)
) WITHOUT ROWID;
CREATE INDEX sales_livestream_day_enterprise ON sales_livestream_day (enterprise_id, day, livestream_id, sales_fen, refunds_fen);
CREATE TABLE sales_party_day (
	party_kind TEXT NOT NULL, day TEXT NOT NULL, party_id TEXT NOT NULL, product TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (party_kind, day, party_id, product)
) WITHOUT ROWID;
CREATE TABLE sales_party_month (
	party_kind TEXT NOT NULL, day TEXT NOT NULL, party_id TEXT NOT NULL, product TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (party_kind, day, party_id, product)
) WITHOUT ROWID;
CREATE TABLE sales_enterprise_party_day (
	day TEXT NOT NULL, enterprise_id TEXT NOT NULL, party_kind TEXT NOT NULL, party_id TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (day, enterprise_id, party_kind, party_id)
) WITHOUT ROWID;
CREATE TABLE sales_enterprise_party_month (
	day TEXT NOT NULL, enterprise_id TEXT NOT NULL, party_kind TEXT NOT NULL, party_id TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (day, enterprise_id, party_kind, party_id)
) WITHOUT ROWID;
CREATE TABLE sales_enterprise_day (
	enterprise_id TEXT NOT NULL, day TEXT NOT NULL, product TEXT NOT NULL, village_id TEXT NOT NULL, party_kind TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (enterprise_id, day, product, village_id, party_kind)
) WITHOUT ROWID;
CREATE TABLE sales_enterprise_month (
	enterprise_id TEXT NOT NULL, day TEXT NOT NULL, product TEXT NOT NULL, village_id TEXT NOT NULL, party_kind TEXT NOT NULL,
	sales_fen INTEGER NOT NULL, refunds_fen INTEGER NOT NULL,
	PRIMARY KEY (enterprise_id, day, product, village_id, party_kind)
) WITHOUT ROWID;

INSERT INTO sales_platform_day SELECT day, platform, party_kind, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY day, platform, party_kind;
INSERT INTO sales_village_day SELECT day, village_id, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY day, village_id;
INSERT INTO sales_livestream_day SELECT livestream_id, day, enterprise_id, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY livestream_id, day, enterprise_id;
INSERT INTO sales_party_day SELECT party_kind, day, party_id, product, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY party_kind, day, party_id, product;
INSERT INTO sales_party_month SELECT party_kind, substr(day, 1, 7), party_id, product, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY party_kind, substr(day, 1, 7), party_id, product;
INSERT INTO sales_enterprise_party_day SELECT day, enterprise_id, party_kind, party_id, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY day, enterprise_id, party_kind, party_id;
INSERT INTO sales_enterprise_party_month SELECT substr(day, 1, 7), enterprise_id, party_kind, party_id, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY substr(day, 1, 7), enterprise_id, party_kind, party_id;
INSERT INTO sales_enterprise_day SELECT enterprise_id, day, product, village_id, party_kind, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY enterprise_id, day, product, village_id, party_kind;
INSERT INTO sales_enterprise_month SELECT enterprise_id, substr(day, 1, 7), product, village_id, party_kind, SUM(sales_fen), SUM(refunds_fen)
	FROM sales_daily GROUP BY enterprise_id, substr(day, 1, 7), product, village_id, party_kind;
-- No longer written: every answer reads the rollups above.
DROP TABLE sales_daily;

-- Orders with a live sale entry per China-time day and key of a grouping
-- (gs: all, platform, enterprise_id, village_id, livestream_id,
-- enterprise_id+livestream_id); the dimensions a grouping does not have are ''.
CREATE TABLE order_counts (
	gs TEXT NOT NULL, day TEXT NOT NULL,
	platform TEXT NOT NULL, enterprise_id TEXT NOT NULL, village_id TEXT NOT NULL, livestream_id TEXT NOT NULL,
	orders INTEGER NOT NULL,
	PRIMARY KEY (gs, day, platform, enterprise_id, village_id, livestream_id)
) WITHOUT ROWID;
CREATE INDEX order_counts_enterprise ON order_counts (gs, enterprise_id, day, livestream_id, orders);
CREATE INDEX order_counts_livestream ON order_counts (gs, livestream_id, day, orders);
INSERT INTO order_counts SELECT 'all', day, '', '', '', '', COUNT(DISTINCT platform || '/' || order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day;
INSERT INTO order_counts SELECT 'platform', day, platform, '', '', '', COUNT(DISTINCT order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day, platform;
INSERT INTO order_counts SELECT 'enterprise_id', day, '', enterprise_id, '', '', COUNT(DISTINCT platform || '/' || order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day, enterprise_id;
INSERT INTO order_counts SELECT 'village_id', day, '', '', village_id, '', COUNT(DISTINCT platform || '/' || order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day, village_id;
INSERT INTO order_counts SELECT 'livestream_id', day, '', '', '', livestream_id, COUNT(DISTINCT platform || '/' || order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day, livestream_id;
INSERT INTO order_counts SELECT 'enterprise_id+livestream_id', day, '', enterprise_id, '', livestream_id, COUNT(DISTINCT platform || '/' || order_id)
	FROM entries WHERE kind = 'sale' GROUP BY day, enterprise_id, livestream_id;

-- What is still read from the entries, each from an index that holds it:
-- refunded orders, a livestream's minutes and buyers, unattributed SKUs.
CREATE INDEX entries_refunds ON entries (day, platform, order_id, enterprise_id, village_id, livestream_id) WHERE kind = 'refund';
DROP INDEX entries_livestream;
CREATE INDEX entries_livestream_minutes ON entries (livestream_id, minute, kind, platform, order_id, buyer_ref, amount_fen, day, enterprise_id)
	WHERE livestream_id <> '';
DROP INDEX entries_unattributed;
CREATE INDEX entries_unattributed_day ON entries (day, platform, sku_id, kind, order_id, line_id, product, amount_fen, at)
	WHERE attributed = 0;
DROP INDEX income_day;
CREATE INDEX income_day_amount ON income (day, household_id, amount_fen);
`,
	// 3: conflicts — rejected versions of facts beside the versions that
	// count (JSON of domain.Conflict), once per conflict id.
	`
CREATE TABLE conflicts (
	id TEXT PRIMARY KEY,
	detected_at INTEGER NOT NULL, -- Unix seconds
	conflict TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX conflicts_detected ON conflicts (detected_at);
`,
	// 4: the registry over time (issue #17): monitoring lines per year and
	// households' members and baseline income from a date on. A read model
	// of an earlier version has neither, as its log had none.
	`
CREATE TABLE monitoring_lines (
	year INTEGER PRIMARY KEY,
	monitoring_line_fen INTEGER NOT NULL
);
CREATE TABLE household_terms (
	household_id TEXT NOT NULL,
	from_day TEXT NOT NULL,        -- YYYY-MM-DD, China time
	members INTEGER NOT NULL,
	baseline_income_fen INTEGER NOT NULL,
	PRIMARY KEY (household_id, from_day)
) WITHOUT ROWID;
`,
	// 5: corrections (issue #17) — operators' corrections as applied
	// (JSON of projections.CorrectionRecord), once per correction id.
	`
CREATE TABLE corrections (
	id TEXT PRIMARY KEY,
	at INTEGER NOT NULL, -- Unix nanoseconds
	target TEXT NOT NULL,
	record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX corrections_at ON corrections (at, id);
`,
	// 6: households' statements (issue #17): a household's shares of the
	// ledger, and its income records, found by household rather than by
	// scanning the period. Partial: only household shares, a fraction of
	// the ledger, carry the index's write cost.
	`
CREATE INDEX ledger_household ON ledger (party_id, entry, amount_fen) WHERE party_kind = 'household';
CREATE INDEX income_household ON income (household_id, day);
`,
	// 7: the livestreams with sales in a period, read by day (the primary
	// key leads with the livestream: a list over a week would read every
	// livestream's rows).
	`
CREATE INDEX sales_livestream_day_day ON sales_livestream_day (day, livestream_id, sales_fen, refunds_fen);
`,
}

// migrate applies the missing migrations in one IMMEDIATE transaction (the
// write handle's), so two processes opening a new read model at once (a
// projector and an API) never both apply the same migration.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migrations: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("read model is at schema version %d, newer than this build knows (%d): upgrade loquat", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
			return fmt.Errorf("record migration %d: %w", v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migrations: %w", err)
	}
	return nil
}
