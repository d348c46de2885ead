package clickhouse_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

func TestMigrations(t *testing.T) {
	first, cfg := openStore(t)
	defer first.Close()
	if got := clickhouse.AppliedMigrations(first); !reflect.DeepEqual(got, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Errorf("first open applied %v, want [1 2 3 4 5 6 7 8 9 10 11]", got)
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
	if !reflect.DeepEqual(got, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Errorf("schema_migrations lists %v, want [1 2 3 4 5 6 7 8 9 10 11]", got)
	}
	var rows uint64
	if err := adminConn(t, cfg.DSN).QueryRow(context.Background(), "SELECT count() FROM "+cfg.Database+".schema_migrations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 11 {
		t.Errorf("schema_migrations has %d rows, want 11", rows)
	}
	var tables uint64
	if err := adminConn(t, cfg.DSN).QueryRow(context.Background(), "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if want := len(clickhouse.Tables()); int(tables) != want {
		t.Errorf("%d tables, want %d", tables, want)
	}
}

// TestMigrationFromSchema1 turns a projected read model back into schema 1
// (the rollup in sales_daily, no fold or registry batch in the checkpoints,
// no order counts,
// no livestream, refund or retracted entries, no summary, the shares in a
// ledger of one row per party with the entry's platform, order and line,
// versions 2 to 11 not recorded) and opens it:
// migration 2 copies the rollup into generation 0, migration 3 counts the
// orders from the entries, migrations 4 and 5 copy the livestreams' and the
// refunds' entries, migration 6 sums the rollup into the summary,
// migration 7 lists the retractions, migration 8 creates shares (the
// ledger keeps the shares written before it), migration 9 creates
// conflicts, migration 10 the tables of monitoring lines and household
// terms (the log had none), migration 11 corrections (there were none),
// every answer is as before, and projecting goes on (folding generation 0)
// with the ledger and the shares together holding every share a read model
// projected whole in schema 8 holds.
func TestMigrationFromSchema1(t *testing.T) {
	s, cfg := openStore(t)
	ds := storetest.Generate(41, 800)
	half := ds.Feed
	half.Events = half.Events[:len(half.Events)/2]
	half.Project(t, s, 100)
	before := view(t, s)
	s.Close()

	ctx := context.Background()
	conn := adminConn(t, cfg.DSN)
	db := cfg.Database + "."
	for _, stmt := range []string{
		// ANY LEFT JOIN, not ANY INNER JOIN: on current ClickHouse (26.7,
		// TestOnCurrentClickHouse) an ANY INNER JOIN keeps one left row per
		// key too, so one share per entry; 18.16 kept every left row. Every
		// share has its entry, so a LEFT join keeps them all on both.
		"INSERT INTO " + db + "ledger SELECT platform, order_id, line_id, entry_id, party_kind, party_id, amount_fen, sign, batch FROM " + db + "shares " +
			"ANY LEFT JOIN (SELECT entry_id, sign, batch, platform, order_id, line_id FROM " + db + "entries) AS e USING (entry_id, sign, batch)",
		"DROP TABLE " + db + "shares",
		"INSERT INTO " + db + "sales_daily SELECT day, platform, product, enterprise_id, village_id, livestream_id, party_kind, party_id, sales_fen, refunds_fen, batch FROM " + db + "sales_rollup",
		"DROP TABLE " + db + "sales_rollup",
		"DROP TABLE " + db + "order_counts",
		"DROP TABLE " + db + "livestream_entries",
		"DROP TABLE " + db + "refund_entries",
		"DROP TABLE " + db + "sales_summary",
		"DROP TABLE " + db + "retracted_entries",
		"ALTER TABLE " + db + "checkpoints DROP COLUMN fold",
		"ALTER TABLE " + db + "checkpoints DROP COLUMN registry",
		"ALTER TABLE " + db + "schema_migrations DELETE WHERE version >= 2",
	} {
		if err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	waitMutations(t, cfg)

	cfg.FoldMinRows = 200 // and fold generation 0 on the way
	s = mustOpen(t, cfg)
	defer s.Close()
	if got := clickhouse.AppliedMigrations(s); !reflect.DeepEqual(got, []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
		t.Fatalf("opening a schema 1 read model applied %v, want [2 3 4 5 6 7 8 9 10 11]", got)
	}
	if after := view(t, s); after != before {
		t.Errorf("after migration 2:\n%s\nbefore:\n%s", after, before)
	}
	// It goes on from there.
	ds.Project(t, s, 50)
	storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
	whole, wholeCfg := openStore(t)
	ds.Project(t, whole, 0)
	whole.Close()
	if got, want := liveShares(t, cfg, "ledger", "shares"), liveShares(t, wholeCfg, "shares"); !reflect.DeepEqual(got, want) {
		t.Errorf("the ledger and the shares hold %d live shares, a read model projected whole %d, or other amounts", len(got), len(want))
	}
	if gens, _ := rollupState(t, cfg); len(gens) == 0 || gens[len(gens)-1] == "0" {
		t.Errorf("generation 0 was never folded (generations %v)", gens)
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

// liveShares sums the committed shares of the tables (ledger, shares) by
// entry and party; the shares that sum to nothing are left out.
func liveShares(t *testing.T, cfg clickhouse.Config, tables ...string) map[string]int64 {
	t.Helper()
	conn := adminConn(t, cfg.DSN)
	db := cfg.Database + "."
	var parts []string
	for _, table := range tables {
		parts = append(parts, "SELECT entry_id, party_kind, party_id, amount_fen, sign FROM "+db+table+
			" WHERE batch <= (SELECT max(batch) FROM "+db+"checkpoints)")
	}
	rows, err := conn.Query(context.Background(), "SELECT entry_id, party_kind, party_id, toInt64(sum(sign * amount_fen)) AS fen FROM ("+
		strings.Join(parts, " UNION ALL ")+") GROUP BY entry_id, party_kind, party_id HAVING fen != 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var entry, kind, party string
		var fen int64
		if err := rows.Scan(&entry, &kind, &party, &fen); err != nil {
			t.Fatal(err)
		}
		out[entry+"/"+kind+"/"+party] = fen
	}
	if len(out) < 100 {
		t.Fatalf("only %d live shares in %v", len(out), tables)
	}
	return out
}
