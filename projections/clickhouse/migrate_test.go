package clickhouse_test

import (
	"context"
	"reflect"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
)

func TestMigrations(t *testing.T) {
	first, cfg := openStore(t)
	defer first.Close()
	if got := clickhouse.AppliedMigrations(first); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("first open applied %v, want [1]", got)
	}
	second := mustOpen(t, cfg)
	defer second.Close()
	if got := clickhouse.AppliedMigrations(second); len(got) != 0 {
		t.Errorf("second open applied %v, want nothing", got)
	}
	got, err := second.SchemaVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("schema_migrations lists %v, want [1]", got)
	}
	var rows uint64
	if err := adminConn(t, cfg.DSN).QueryRow(context.Background(), "SELECT count() FROM "+cfg.Database+".schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("schema_migrations has %d rows, want 1", rows)
	}
	var tables uint64
	if err := adminConn(t, cfg.DSN).QueryRow(context.Background(), "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if want := len(clickhouse.Tables()); int(tables) != want {
		t.Errorf("%d tables, want %d", tables, want)
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []struct {
		cfg  clickhouse.Config
		fail bool
	}{
		{clickhouse.Config{}, true},
		{clickhouse.Config{DSN: "clickhouse://127.0.0.1:9000/loquat"}, false},
		{clickhouse.Config{DSN: "clickhouse://127.0.0.1:9000/loquat", Database: "x; DROP"}, true},
		{clickhouse.Config{DSN: "clickhouse://127.0.0.1:9000", TablePrefix: "a-b"}, true},
		{clickhouse.Config{DSN: "clickhouse://127.0.0.1:9000", MaxInsertRows: -1}, true},
	} {
		err := c.cfg.Validate()
		if (err != nil) != c.fail {
			t.Errorf("%+v: Validate() = %v, want failure %v", c.cfg, err, c.fail)
		}
	}
}

// TestOpenCreatesTheDSNsDatabase opens a store whose DSN names a database
// that does not exist yet.
func TestOpenCreatesTheDSNsDatabase(t *testing.T) {
	dsn := testDSN(t)
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := testDatabase(t, dsn)
	s := mustOpen(t, clickhouse.Config{DSN: "clickhouse://" + opts.Addr[0] + "/" + db})
	defer s.Close()
	if err := s.Commit(context.Background(), &projections.Batch{Consumer: "projector", Positions: eventlog.Positions{0: 7}}); err != nil {
		t.Fatal(err)
	}
	cp, err := s.Checkpoint(context.Background(), "projector")
	if err != nil || cp[0] != 7 {
		t.Errorf("checkpoint %v, %v; want 0:7", cp, err)
	}
}
