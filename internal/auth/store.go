package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// FileName is the accounts database's name in the data dir.
const FileName = "accounts.db"

const schema = `
CREATE TABLE IF NOT EXISTS accounts (
	name          TEXT PRIMARY KEY,
	role          TEXT NOT NULL,
	enterprise_id TEXT NOT NULL DEFAULT '',
	village_id    TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	disabled_at   INTEGER
);
CREATE TABLE IF NOT EXISTS tokens (
	id         TEXT PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES accounts(name),
	name       TEXT NOT NULL,
	hash       BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
	hash       BLOB PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES accounts(name),
	csrf       TEXT NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	at      INTEGER NOT NULL,
	account TEXT NOT NULL,
	role    TEXT NOT NULL,
	token   TEXT NOT NULL,
	method  TEXT NOT NULL,
	path    TEXT NOT NULL,
	query   TEXT NOT NULL,
	remote  TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
	BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
	BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
`

// openDB opens (creating) the accounts database at path. WAL with
// synchronous NORMAL: a commit (an access-log entry, a revocation)
// survives the process crashing, though not a power loss; FULL would
// fsync on every household-level read, which cost several milliseconds
// a request in BenchmarkAuthCost.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	dsn := "file:" + filepath.ToSlash(path) + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open accounts database %s: %w", path, err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create the accounts schema in %s: %w (is it a Loquat accounts database?)", path, err)
	}
	return db, nil
}

// ErrUnknownAccount is returned for an account name that does not exist.
var ErrUnknownAccount = errors.New("no such account")

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", what, ErrUnknownAccount)
	}
	return nil
}
