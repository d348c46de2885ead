//go:build chdb

package clickhouse_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// onChDB is the chDB session while TestOnCurrentClickHouse runs; testDSN
// then answers chdbDSN, so the tests it runs use the session.
var onChDB *chdbSession

func chdbRunning() bool { return onChDB != nil }

// chdbAdminConn is a plain connection to the session.
func chdbAdminConn() driver.Conn { return onChDB.newConn() }

// openOnChDB opens a store whose connections (its own and its rebuild's)
// run on the chDB session.
func openOnChDB(ctx context.Context, cfg clickhouse.Config) (*clickhouse.Store, error) {
	s := onChDB
	return clickhouse.OpenWith(ctx, cfg, func(context.Context) (driver.Conn, error) { return s.newConn(), nil })
}

// chdbMinMajor is the oldest ClickHouse line the embedded engine may be:
// the test is about the current one (scripts/chdb.sh installs 26.7).
const chdbMinMajor = 26

// onCurrentClickHouse are the store's tests that run on chDB as they run on
// the 18.16 server: between them every migration (from nothing and from
// schema 1), every commit's inserts, the cleanup of a failed commit
// (ALTER TABLE … DELETE and the wait on system.mutations), the folds, every
// query, and the rebuild's RENAME TABLE swap — EveryStatementRan checks
// that no function of the store that sends SQL is left out.
// TestSameAnswersAsSQLite runs here and on 18.16 over the same feeds, so
// the answers of the two ClickHouses equal SQLite's and each other's.
//
// Left out, because chDB is a library, not a server: TestServerRestart
// (kills the server process), TestLeftoverInsert (a half-sent
// native-protocol insert of another connection),
// TestOpenCreatesTheDSNsDatabase (dials the DSN), the benchmark. Left out
// to keep the run short (chDB takes a few milliseconds a statement), since
// they send the same statements as the tests here and test what the store
// does in Go around them: TestRandomCrashes, TestInterruptedFold,
// TestLineCache, TestSplitInserts, TestInsertsInSortKeyOrder. The tests
// with concurrent readers (TestRebuildSwap, TestFold) run, but chDB runs
// one statement at a time, so their queries interleave with the writer's
// statements and never overlap them.
var onCurrentClickHouse = []struct {
	name string
	test func(*testing.T)
}{
	{"Migrations", TestMigrations},
	{"MigrationFromSchema1", TestMigrationFromSchema1},
	{"StoreConformance", TestStoreConformance},
	{"SameAnswersAsSQLite", TestSameAnswersAsSQLite},
	{"InterruptedCommit", TestInterruptedCommit},
	{"Fold", TestFold},
	{"RebuildSwap", TestRebuildSwap},
	{"AnswerAcrossSwap", TestAnswerAcrossSwap},
	{"RegistryCache", TestRegistryCache},
	{"AwkwardStrings", TestAwkwardStrings},
	{"LongLists", TestLongLists},
	{"Closed", TestClosed},
	{"LinesReadBack", testLinesReadBack},
}

// testLinesReadBack projects a generated data set with the line cache off,
// so that every batch reads its orders' lines back from ClickHouse
// (queryLines), which the tests above leave to the cache; TestLineCache
// does the same, and more, on 18.16.
func testLinesReadBack(t *testing.T) {
	_, cfg := openStore(t)
	cfg.LineCacheLines = -1
	s := mustOpen(t, cfg)
	defer s.Close()
	ds := storetest.Generate(29, 600)
	ds.Project(t, s, 60)
	storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
}

// TestOnCurrentClickHouse runs the store's SQL on the current ClickHouse
// engine — chDB, ClickHouse as a library, since no server can be fetched
// here — through the store's own code (a driver.Conn over chDB in place of
// the native connection, chdb_conn_test.go): the tests above, then a check
// that every function of the store that sends SQL sent some on chDB, and
// every table was inserted into. Built with -tags chdb only (scripts/test.sh
// passes it): chdb-go loads libchdb.so when the test binary starts, and
// panics without it — scripts/chdb.sh installs it.
func TestOnCurrentClickHouse(t *testing.T) {
	session, err := openChDB()
	if err != nil {
		t.Fatalf("%v\nInstall libchdb.so with scripts/chdb.sh install (scripts/test.sh does)", err)
	}
	onChDB = session
	var sites chdbSites
	session.hooks.ran = sites.record
	t.Cleanup(func() {
		t.Logf("%d statements ran on chDB, in %v", session.hooks.statements, session.hooks.spent.Round(time.Millisecond))
		onChDB = nil
		session.close()
	})
	version := chdbVersion(t, session)
	t.Logf("chDB engine: ClickHouse %s", version)
	if major, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0]); major < chdbMinMajor {
		t.Fatalf("chDB embeds ClickHouse %s, want %d or later: run scripts/chdb.sh install", version, chdbMinMajor)
	}
	for _, tc := range onCurrentClickHouse {
		t.Run(tc.name, tc.test)
	}
	if t.Failed() {
		return // the sites of a test cut short say nothing
	}
	t.Run("EveryStatementRan", func(t *testing.T) { sites.check(t) })
}

func chdbVersion(t *testing.T, s *chdbSession) string {
	t.Helper()
	var v string
	if err := s.newConn().QueryRow(context.Background(), "SELECT version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// chdbSites records which functions of the store sent a statement that ran
// on chDB, and which tables were inserted into.
type chdbSites struct {
	mu      sync.Mutex
	funcs   map[string]int
	inserts map[string]int
}

const storePackage = "github.com/loquat-dev/loquat/projections/clickhouse."

// plumbing are the store's functions every statement passes through.
var plumbing = map[string]bool{"exec": true, "query": true, "send": true, "sendAll": true}

var funcSuffix = regexp.MustCompile(`(\.func\d+|\.gowrap\d+|\.\d+)+$`)

var insertTable = regexp.MustCompile("^\\s*INSERT INTO `?[A-Za-z0-9_]+`?\\.`?([A-Za-z0-9_]+)`?")

func (c *chdbSites) record(query string) {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	site := ""
	for {
		f, more := frames.Next()
		if name, ok := strings.CutPrefix(f.Function, storePackage); ok && !strings.HasSuffix(f.File, "_test.go") {
			name = funcSuffix.ReplaceAllString(name, "")
			name = name[strings.LastIndex(name, ".")+1:]
			if !plumbing[name] {
				site = name
				break
			}
		}
		if !more {
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.funcs == nil {
		c.funcs, c.inserts = map[string]int{}, map[string]int{}
	}
	if site != "" {
		c.funcs[site]++
	}
	if m := insertTable.FindStringSubmatch(query); m != nil {
		c.inserts[strings.TrimPrefix(strings.TrimPrefix(m[1], "rebuild_"), "retired_")]++
	}
}

// notOnChDB are the functions of the store that send SQL only in
// circumstances chDB cannot make, and why.
var notOnChDB = map[string]string{}

// insertsNotOnChDB are the tables the store does not insert into any more.
var insertsNotOnChDB = map[string]string{
	"ledger":      "the shares before migration 8; no longer written",
	"sales_daily": "schema 1's rollup; no longer written",
}

// check fails for every function of the store's source that calls exec or
// query but sent nothing on chDB, and every table not inserted into.
func (c *chdbSites) check(t *testing.T) {
	want := sqlFuncs(t)
	for _, f := range want {
		if c.funcs[f] == 0 && notOnChDB[f] == "" {
			t.Errorf("%s sends SQL but sent none on chDB: no test ran it on the current ClickHouse", f)
		}
	}
	for _, table := range clickhouse.Tables() {
		if c.inserts[table] == 0 && insertsNotOnChDB[table] == "" {
			t.Errorf("nothing was inserted into %s on chDB", table)
		}
	}
	names := make([]string, 0, len(c.funcs))
	for f := range c.funcs {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		if !slices.Contains(want, f) {
			continue
		}
		t.Logf("%-28s %6d statements", f, c.funcs[f])
	}
	if len(want) < 20 {
		t.Errorf("found only %d functions sending SQL in the store's source: the scan is broken", len(want))
	}
}

// sqlFuncs lists the store's functions (not its tests') whose bodies call
// exec, query or send on a receiver.
func sqlFuncs(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || plumbing[fn.Name.Name] {
				continue
			}
			sends := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok && plumbing[sel.Sel.Name] {
						if _, ok := sel.X.(*ast.Ident); ok {
							sends = true
						}
					}
				}
				return !sends
			})
			if sends {
				out = append(out, fn.Name.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}
