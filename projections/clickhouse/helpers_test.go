package clickhouse_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/testenv"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/projections/clickhouse"
)

// chdbDSN stands for the chDB session in a test's Config (chdb_test.go,
// built with -tags chdb): the helpers open the store and plain connections
// on the session instead of dialling it.
const chdbDSN = "clickhouse://chdb.invalid:9000/default"

// testDSN returns the test server's DSN, or skips the test without one
// (scripts/test.sh starts a server and fails on any skip).
func testDSN(t testing.TB) string {
	t.Helper()
	if chdbRunning() {
		return chdbDSN
	}
	return testenv.ClickHouseDSN(t)
}

func randomName(prefix string) string {
	var b [6]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// adminConn opens a plain connection to the server of dsn.
func adminConn(t testing.TB, dsn string) driver.Conn {
	t.Helper()
	if dsn == chdbDSN {
		return chdbAdminConn()
	}
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := ch.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// testDatabase names a database of its own for the test and drops it at the end.
func testDatabase(t testing.TB, dsn string) string {
	t.Helper()
	db := randomName("loquat_test_")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if dsn == chdbDSN {
			if err := chdbAdminConn().Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
				t.Logf("drop test database %s: %v", db, err)
			}
			return
		}
		opts, err := ch.ParseDSN(dsn)
		if err != nil {
			return
		}
		conn, err := ch.Open(opts)
		if err != nil {
			t.Logf("drop test database %s: %v", db, err)
			return
		}
		defer conn.Close()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("drop test database %s: %v", db, err)
		}
	})
	return db
}

// openStore opens a store in a new test database.
func openStore(t testing.TB) (*clickhouse.Store, clickhouse.Config) {
	t.Helper()
	dsn := testDSN(t)
	cfg := clickhouse.Config{DSN: dsn, Database: testDatabase(t, dsn)}
	return mustOpen(t, cfg), cfg
}

func mustOpen(t testing.TB, cfg clickhouse.Config) *clickhouse.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := clickhouse.Open
	if cfg.DSN == chdbDSN {
		open = openOnChDB
	}
	s, err := open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// waitMutations waits until the mutations of the config's database are done.
func waitMutations(t testing.TB, cfg clickhouse.Config) {
	t.Helper()
	conn := adminConn(t, cfg.DSN)
	for deadline := time.Now().Add(time.Minute); ; {
		var pending uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM system.mutations WHERE database = '"+cfg.Database+"' AND is_done = 0").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mutations of %s not done after a minute", pending, cfg.Database)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
