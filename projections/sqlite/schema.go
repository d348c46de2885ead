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
-- domain.LineState). The projector reloads it when the line changes.
CREATE TABLE lines (
	platform TEXT NOT NULL,
	order_id TEXT NOT NULL,
	line_id TEXT NOT NULL,
	state TEXT NOT NULL,
	PRIMARY KEY (platform, order_id, line_id)
) WITHOUT ROWID;

-- The attributed ledger: one row per party per paid line or refund.
CREATE TABLE ledger (
	entry_id TEXT NOT NULL,
	party_kind TEXT NOT NULL,
	party_id TEXT NOT NULL,
	kind TEXT NOT NULL,            -- sale | refund
	at INTEGER NOT NULL,           -- Unix seconds
	day TEXT NOT NULL,             -- China time
	minute TEXT NOT NULL,          -- China time
	platform TEXT NOT NULL,
	order_id TEXT NOT NULL,
	line_id TEXT NOT NULL,
	sku_id TEXT NOT NULL,
	product TEXT NOT NULL,
	enterprise_id TEXT NOT NULL,
	village_id TEXT NOT NULL,
	livestream_id TEXT NOT NULL,
	buyer_ref TEXT NOT NULL,
	amount_fen INTEGER NOT NULL,   -- signed
	PRIMARY KEY (entry_id, party_kind, party_id)
) WITHOUT ROWID;
CREATE INDEX ledger_day ON ledger (day);
CREATE INDEX ledger_livestream ON ledger (livestream_id, minute) WHERE livestream_id <> '';
CREATE INDEX ledger_unattributed ON ledger (platform, sku_id) WHERE party_kind = 'unattributed';

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
}

func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("read model is at schema version %d, newer than this build knows (%d): upgrade loquat", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("record migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("commit migration %d: %w", v, err)
		}
	}
	return nil
}
