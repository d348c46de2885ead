package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestMigrationFromSchema1 opens read models written by the schema-1 build
// (testdata/schema1-*.db: the first half of a feed's events projected by
// commit 12beaf7, see testdata/README.md), which migrates them, and checks
// every API answer against a read model projected afresh: right after the
// migration against the same first half, and after the rest of the feed is
// projected into the migrated model against the whole feed.
func TestMigrationFromSchema1(t *testing.T) {
	ctx := context.Background()
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	generated := storetest.Generate(11, 1500).Feed
	for _, c := range []struct {
		fixture string
		feed    storetest.Feed
		now     time.Time
	}{
		{"schema1-samples.db", storetest.Feed{Registry: reg, Events: events}, time.Date(2020, 5, 2, 12, 0, 0, 0, domain.ChinaTime)},
		{"schema1-generated.db", generated, time.Date(2021, 2, 1, 12, 0, 0, 0, domain.ChinaTime)},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			half := c.feed
			half.Events = c.feed.Events[:len(c.feed.Events)/2]
			path := copyFixture(t, c.fixture)
			if v := schemaVersion(t, path); v != 1 {
				t.Fatalf("fixture at schema version %d, want 1", v)
			}
			migrated, err := sqlite.Open(ctx, sqlite.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			defer migrated.Close()
			if v := schemaVersion(t, path); v < 2 {
				t.Fatalf("migrated to schema version %d, want at least 2", v)
			}

			fresh := openFresh(t)
			half.Project(t, fresh, 200)
			compareAnswers(t, answers(t, &projections.Queries{Store: fresh, Now: func() time.Time { return c.now }}),
				answers(t, &projections.Queries{Store: migrated, Now: func() time.Time { return c.now }}))

			c.feed.Project(t, migrated, 200) // the first half is skipped by position
			whole := openFresh(t)
			c.feed.Project(t, whole, 200)
			compareAnswers(t, answers(t, &projections.Queries{Store: whole, Now: func() time.Time { return c.now }}),
				answers(t, &projections.Queries{Store: migrated, Now: func() time.Time { return c.now }}))
		})
	}
}

func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	path := filepath.Join(t.TempDir(), "readmodel.db")
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func schemaVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func openFresh(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// answers collects every answer the API gives for the store's data: the
// overview and every list for seven periods, every household, village and
// enterprise for four of them, and every livestream.
func answers(t *testing.T, q *projections.Queries) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	put := func(key string, v any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		out[key] = v
	}
	all, err := q.Overview(ctx, projections.Period{})
	put("overview", all, err)
	periods := []projections.Period{{}}
	if n := len(all.ByDay); n > 0 {
		first, mid, last := all.ByDay[0].Date, all.ByDay[n/2].Date, all.ByDay[n-1].Date
		periods = append(periods, projections.Period{From: first, To: first}, projections.Period{From: mid, To: mid},
			projections.Period{To: mid}, projections.Period{From: mid}, projections.Period{From: first, To: last},
			projections.Period{From: first[:8] + "01", To: "2030-01-01"})
	}
	reg, err := q.Store.Registry(ctx)
	put("registry", reg, err)
	everything := projections.Paging{Limit: 10000}
	for i, p := range periods {
		at := fmt.Sprintf("[%s..%s]", p.From, p.To)
		v, err := q.Overview(ctx, p)
		put("overview"+at, v, err)
		hh, err := q.Households(ctx, projections.HouseholdQuery{Period: p, Paging: everything, Sort: "-income_gain_fen"})
		put("households"+at, hh, err)
		vv, err := q.Villages(ctx, p, everything)
		put("villages"+at, vv, err)
		ee, err := q.Enterprises(ctx, p, everything)
		put("enterprises"+at, ee, err)
		ll, err := q.Livestreams(ctx, p, everything)
		put("livestreams"+at, ll, err)
		uu, err := q.Unattributed(ctx, p, everything)
		put("unattributed"+at, uu, err)
		if i >= 4 {
			continue
		}
		for id := range reg.Households {
			h, err := q.Household(ctx, id, p)
			put("household "+id+at, h, err)
		}
		for id := range reg.Villages {
			v, err := q.Village(ctx, id, p)
			put("village "+id+at, v, err)
		}
		for id := range reg.Enterprises {
			e, err := q.Enterprise(ctx, id, p)
			put("enterprise "+id+at, e, err)
		}
	}
	streams, err := q.Store.Livestreams(ctx)
	put("livestream infos", streams, err)
	for _, ls := range streams {
		v, err := q.Livestream(ctx, ls.ID)
		put("livestream "+ls.ID, v, err)
	}
	return out
}

// compareAnswers reports every answer that differs, as JSON.
func compareAnswers(t *testing.T, want, got map[string]any) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, _ := json.Marshal(want[k])
		g, _ := json.Marshal(got[k])
		if string(w) != string(g) {
			t.Errorf("%s:\n got %s\nwant %s", k, g, w)
		}
	}
	if len(got) != len(want) || len(want) < 50 {
		t.Errorf("%d answers, want %d (at least 50)", len(got), len(want))
	}
}
