package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// recorder is a read handle that records every query and its arguments.
type recorder struct {
	db *sql.DB
	mu sync.Mutex
	// by is the queries of each endpoint call, keyed by the call's name.
	by   map[string][]recorded
	call string
}

type recorded struct {
	query string
	args  []any
}

func (r *recorder) note(query string, args []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.by[r.call] = append(r.by[r.call], recorded{query, args})
}

func (r *recorder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	r.note(query, args)
	return r.db.QueryContext(ctx, query, args...)
}

func (r *recorder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	r.note(query, args)
	return r.db.QueryRowContext(ctx, query, args...)
}

// planCall is one endpoint call: its name, whether its period is bounded
// on both sides, and the call.
type planCall struct {
	name    string
	bounded bool
	run     func(ctx context.Context, q *projections.Queries) error
}

// endpointCalls lists every endpoint of the API for every period and every
// filter and sort of the households list.
func endpointCalls(reg *domain.Registry, livestreams []projections.LivestreamInfo) []planCall {
	periods := []projections.Period{
		{},                                     // all time
		{From: "2020-04-30", To: "2020-04-30"}, // one day
		{From: "2020-04-27", To: "2020-05-03"}, // one week across a month's end
		{From: "2020-04-01", To: "2020-04-30"}, // one whole month
		{From: "2019-12-15", To: "2020-05-10"}, // months and days at both ends
		{From: "2020-04-30"},                   // open end
		{To: "2020-04-30"},                     // open start
	}
	var villageID, householdID, enterpriseID string
	for id := range reg.Villages {
		villageID = id
	}
	for id := range reg.Households {
		householdID = id
	}
	for id := range reg.Enterprises {
		enterpriseID = id
	}
	all := projections.Paging{Limit: 100}
	yes, no := true, false
	var calls []planCall
	add := func(name string, p projections.Period, run func(context.Context, *projections.Queries) error) {
		calls = append(calls, planCall{fmt.Sprintf("%s [%s..%s]", name, p.From, p.To), p.From != "" && p.To != "", run})
	}
	for _, p := range periods {
		add("overview", p, func(ctx context.Context, q *projections.Queries) error { _, err := q.Overview(ctx, p); return err })
		add("household "+householdID, p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Household(ctx, householdID, p)
			return err
		})
		for _, sort := range []string{"", "id", "-income_gain_fen", "attributed_sales_fen", "-recorded_income_fen", "per_capita_income_fen"} {
			for _, village := range []string{"", villageID} {
				for _, below := range []*bool{nil, &yes, &no} {
					hq := projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: 20}, Sort: sort, VillageID: village, BelowLine: below}
					add(fmt.Sprintf("households sort=%q village=%q below=%v", sort, village, below), p, func(ctx context.Context, q *projections.Queries) error {
						_, err := q.Households(ctx, hq)
						return err
					})
				}
			}
		}
		add("statement "+householdID, p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Statement(ctx, householdID, p)
			return err
		})
		// The monitoring list reads the year to its day and the year
		// before: bounded periods whatever the day.
		calls = append(calls, planCall{fmt.Sprintf("monitoring as at %q", p.To), true, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Monitoring(ctx, projections.MonitoringQuery{To: p.To, Paging: all})
			return err
		}})
		add("enterprise "+enterpriseID, p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Enterprise(ctx, enterpriseID, p)
			return err
		})
		add("enterprises", p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Enterprises(ctx, p, all)
			return err
		})
		add("village "+villageID, p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Village(ctx, villageID, p)
			return err
		})
		add("villages", p, func(ctx context.Context, q *projections.Queries) error { _, err := q.Villages(ctx, p, all); return err })
		add("livestreams", p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Livestreams(ctx, p, all)
			return err
		})
		add("unattributed", p, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Unattributed(ctx, p, all)
			return err
		})
	}
	for _, ls := range livestreams {
		add("livestream "+ls.ID, projections.Period{}, func(ctx context.Context, q *projections.Queries) error {
			_, err := q.Livestream(ctx, ls.ID)
			return err
		})
	}
	add("dead letters", projections.Period{}, func(ctx context.Context, q *projections.Queries) error {
		_, err := q.DeadLetters(ctx, projections.Paging{Limit: 10, Offset: 1})
		return err
	})
	return calls
}

var (
	// The tables the registry and the dead letters are read from whole:
	// they hold what they hold, not history.
	wholeTables = regexp.MustCompile(`^SCAN (district|villages|households|enterprises|listings|monitoring_lines|household_terms|livestreams|dead_letters)\b`)
	// A livestream is looked up by its id to describe the livestreams
	// listed.
	livestreamByID = regexp.MustCompile(`^SEARCH livestreams USING (?:PRIMARY KEY|INDEX \w+) \(id=\?\)$`)
	// The entries are read only through the indexes that hold what an
	// answer needs of them: the refunds, a livestream's entries, the
	// unattributed lines.
	entriesIndexes = regexp.MustCompile(`USING COVERING INDEX (entries_refunds|entries_livestream_minutes|entries_unattributed_day)\b`)
	tableOf        = regexp.MustCompile(`^(?:SCAN|SEARCH) (\w+)`)
)

// TestQueryPlans explains the plan of every query every endpoint makes,
// for every period and filter and sort combination: no endpoint reads the
// ledger, schema 1's rollup of every dimension, or the entries except
// through the indexes that hold only what it needs (a statement: one
// household's shares, by ledger_household, and their entries by key),
// and an answer over a
// period bounded on both sides reads only that period (every rollup, order
// count and income read is a search constrained by the day, or by one
// livestream) and scans nothing but the registry and the dead letters.
func TestQueryPlans(t *testing.T) {
	ctx := context.Background()
	store, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Feed{Registry: reg, Events: events}.Project(t, store, 0)
	at := time.Date(2020, 5, 1, 10, 0, 0, 0, domain.ChinaTime)
	if err := store.PutDeadLetters(ctx, []domain.DeadLetter{domain.NewDeadLetter("douyin", "bad", []byte("x"), at)}); err != nil {
		t.Fatal(err)
	}
	registry, err := store.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	streams, err := store.Livestreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) == 0 || len(registry.Households) == 0 {
		t.Fatalf("the samples gave %d livestreams and %d households", len(streams), len(registry.Households))
	}

	rec := &recorder{db: store.read, by: map[string][]recorded{}}
	store.queries = rec
	q := &projections.Queries{Store: store, Now: func() time.Time { return at }}
	calls := endpointCalls(registry, streams)
	for _, c := range calls {
		rec.call = c.name
		if err := c.run(ctx, q); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	store.queries = store.read

	explained := 0
	for _, c := range calls {
		if len(rec.by[c.name]) == 0 {
			t.Errorf("%s: no query recorded", c.name)
		}
		for _, r := range rec.by[c.name] {
			plan, err := explain(ctx, store.read, r.query, r.args)
			if err != nil {
				t.Fatalf("%s: explain %s: %v", c.name, r.query, err)
			}
			explained++
			for _, line := range plan {
				if problem := planProblem(line, c.bounded); problem != "" {
					t.Errorf("%s: %s\n  plan: %s\n  query: %s", c.name, problem, line, r.query)
				}
			}
		}
	}
	t.Logf("%d endpoint calls, %d query plans explained", len(calls), explained)
}

// planProblem says what is wrong with one line of a plan, or "".
func planProblem(line string, bounded bool) string {
	m := tableOf.FindStringSubmatch(line)
	if m == nil {
		return "" // a temporary b-tree, a compound query's parts, a subquery's scan
	}
	switch table := m[1]; {
	// A statement reads one household's shares (ledger_household, bounded
	// by the household) and each one's entry by its key.
	case table == "ledger" && strings.HasPrefix(line, "SEARCH ledger USING COVERING INDEX ledger_household (party_id=?)"):
		return ""
	case table == "entries" && line == "SEARCH entries USING INTEGER PRIMARY KEY (rowid=?)":
		return ""
	case table == "ledger" || table == "sales_daily" || table == "lines":
		return "reads " + table
	case table == "entries" && !entriesIndexes.MatchString(line):
		return "reads the entries without an index that holds only what the answer needs"
	case wholeTables.MatchString(line), livestreamByID.MatchString(line):
		return ""
	case bounded && strings.HasPrefix(line, "SCAN"):
		return "scans " + table + " for a bounded period"
	case bounded && !strings.Contains(line, "day>") && !strings.Contains(line, "day=") &&
		!strings.Contains(line, "livestream_id=?"):
		return "searches " + table + " unbounded by the period"
	}
	return ""
}

func explain(ctx context.Context, db *sql.DB, query string, args []any) ([]string, error) {
	rows, err := db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}
