package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Each consumer group of a topic keeps its offsets in a file of its own, and
// its subscribers attach the topic's messages file read-only. watermill-sql's
// subscriber reads a batch and acks it in one transaction that stays open
// while the messages are delivered; SQLite locks whole files, so were the
// offsets beside the messages, a subscriber waiting for its consumer would
// hold every publisher of the topic (and every other group) back. Here its
// IMMEDIATE transaction locks only its group's file: publishers and other
// groups go on, and two subscribers of one group still never deliver the
// same message.

const subscriberDriverName = "loquat-eventlog-subscriber"

// attached maps a group offsets file to the messages file its connections attach.
var attached sync.Map

func init() {
	d := &sqlite.Driver{}
	d.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		path := strings.TrimPrefix(dsn, "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		messages, ok := attached.Load(path)
		if !ok {
			return fmt.Errorf("eventlog: no messages file known for %s", path)
		}
		_, err := conn.ExecContext(context.Background(), `ATTACH DATABASE ? AS log`,
			[]driver.NamedValue{{Ordinal: 1, Value: "file:" + messages.(string) + "?mode=ro"}})
		return err
	})
	sql.Register(subscriberDriverName, d)
}

// groupFile is where a consumer group's offsets of a topic live. Group names
// that are not safe as file names are hashed.
func groupFile(dir, topic, group string) string {
	name := group
	if name == "" {
		name = "_default"
	}
	if !topicPattern.MatchString(name) || len(name) > 100 || name == "." || name == ".." {
		sum := sha256.Sum256([]byte(group))
		name = "g-" + hex.EncodeToString(sum[:12])
	}
	return filepath.Join(dir, topic+".groups", name+".db")
}

// transientDBs numbers the in-memory offsets databases of transient groups.
var transientDBs atomic.Int64

// openGroupDB opens the group's offsets file with the topic's messages
// attached. A transient group's offsets are an in-memory database on one
// connection, gone when the subscriber closes: a one-off reader (a rebuild,
// the cursor store at start-up) used to leave a file behind on every run.
func (l *Log) openGroupDB(ctx context.Context, topic, group string, transient bool) (*sql.DB, error) {
	path := groupFile(l.cfg.Dir, topic, group)
	source := dsn(path, l.cfg, true)
	if transient {
		path = fmt.Sprintf("/loquat-transient-offsets-%d", transientDBs.Add(1))
		source = "file:" + path + "?mode=memory&_txlock=immediate"
	} else if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create offsets directory: %w", err)
	}
	attached.Store(path, filepath.Join(l.cfg.Dir, topic+".db"))
	db, err := sql.Open(subscriberDriverName, source)
	if err != nil {
		return nil, fmt.Errorf("open offsets of group %q on %s: %w", group, topic, err)
	}
	if transient {
		// The database lives as long as its one connection, which needs
		// the messages file only when it opens.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			attached.Delete(path)
			return nil, fmt.Errorf("open offsets of group %q on %s: %w", group, topic, err)
		}
		attached.Delete(path)
	}
	// Look before creating: another subscriber of the group may be holding
	// the file's write lock while its consumer is busy, and reading needs no lock.
	var exists int
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
		strings.Trim(offsetsTable(topic), `"`)).Scan(&exists)
	if err != nil || exists == 1 {
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("open offsets of group %q on %s in %s: %w", group, topic, path, err)
		}
		return db, nil
	}
	queries, _ := offsetsAdapter{}.SchemaInitializingQueries(wsql.OffsetsSchemaInitializingQueriesParams{Topic: topic})
	if err := execInTx(ctx, db, queries); err != nil {
		db.Close()
		return nil, fmt.Errorf("create offsets of group %q on %s in %s: %w", group, topic, path, err)
	}
	return db, nil
}

// execInTx runs queries in one transaction; on a handle with _txlock=immediate
// it waits for the write lock under busy_timeout. Opening a connection can
// still fail with SQLITE_BUSY without waiting (switching a new file to WAL, or
// WAL recovery after the last connection closed, while another process does
// the same), so that is retried for a few seconds.
func execInTx(ctx context.Context, db *sql.DB, queries []wsql.Query) error {
	var err error
	for wait := time.Millisecond; ; wait *= 2 {
		if err = execInTxOnce(ctx, db, queries); err == nil || !isBusy(err) || wait > 2*time.Second {
			return err
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		}
	}
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}

func execInTxOnce(ctx context.Context, db *sql.DB, queries []wsql.Query) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range queries {
		if _, err := tx.ExecContext(ctx, q.Query, q.Args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
