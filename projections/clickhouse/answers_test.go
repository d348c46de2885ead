package clickhouse_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// now is "today" for both stores' queries.
var now = func() time.Time { return time.Date(2021, 2, 1, 12, 0, 0, 0, domain.ChinaTime) }

// TestSameAnswersAsSQLite projects the same feeds into a SQLite store and a
// ClickHouse store and compares every answer of the API, as JSON.
func TestSameAnswersAsSQLite(t *testing.T) {
	reg, events, err := samples.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	feeds := []struct {
		name     string
		feed     storetest.Feed
		maxBatch int
	}{
		{"Samples", storetest.Feed{Registry: reg, Events: events}, 0},
		{"GeneratedDataSet", storetest.Generate(11, 3000).Feed, 500},
	}
	dls := deadLetters()
	for _, f := range feeds {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			lite, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer lite.Close()
			house, cfg := openStore(t)
			defer house.Close()
			for _, s := range []projections.Store{lite, house} {
				f.feed.Project(t, s, f.maxBatch)
				if err := s.PutDeadLetters(ctx, dls); err != nil {
					t.Fatal(err)
				}
				if err := s.PutDeadLetters(ctx, dls[:1]); err != nil { // again: kept once
					t.Fatal(err)
				}
			}
			start := time.Now()
			want := answers(t, &projections.Queries{Store: lite, Now: now})
			mid := time.Now()
			got := answers(t, &projections.Queries{Store: house, Now: now})
			t.Logf("answers: sqlite %v, clickhouse %v", mid.Sub(start), time.Since(mid))
			compareAnswers(t, want, got)
			t.Logf("%d answers compared", len(want))
			if len(want) < 50 {
				t.Errorf("only %d answers compared", len(want))
			}

			// Past maxListedRetractions, queries read the retracted keys
			// with a subquery: the same answers.
			var retracted uint64
			if err := adminConn(t, cfg.DSN).QueryRow(ctx, "SELECT count() FROM "+cfg.Database+".retracted_entries").Scan(&retracted); err != nil {
				t.Fatal(err)
			}
			if retracted == 0 {
				return // nothing to list
			}
			restore := clickhouse.SetMaxListedRetractions(0)
			defer restore()
			fresh := mustOpen(t, cfg) // no list read yet
			defer fresh.Close()
			compareAnswers(t, want, answers(t, &projections.Queries{Store: fresh, Now: now}))
		})
	}
}

func deadLetters() []domain.DeadLetter {
	at := time.Date(2021, 1, 5, 10, 0, 0, 123456789, domain.ChinaTime)
	return []domain.DeadLetter{
		domain.NewDeadLetter("douyin", "bad signature", []byte(`{"tag":"101"}`), at),
		domain.NewDeadLetter("file:orders.csv:3", "amount 'x' is not a number", []byte("a,b,\\c,'d'?\n"), at.Add(time.Second)),
		domain.NewDeadLetter("jd", "binary", []byte{0, 1, 2, 0xff, 0xfe, '\'', '\\'}, at.Add(-time.Hour)),
	}
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
		if !reflect.DeepEqual(want[k], got[k]) || string(w) != string(g) {
			t.Errorf("%s:\n got (clickhouse) %s\nwant (sqlite)     %s", k, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d answers from clickhouse, %d from sqlite", len(got), len(want))
	}
}

// answers collects every answer the API gives for the store's data: the
// overview and every list for seven periods, and every household, village,
// enterprise (for four periods) and livestream one by one.
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
			projections.Period{From: "2030-01-01"})
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
			continue // every entity one by one for the first periods only: lists cover the rest
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
	dl, err := q.DeadLetters(ctx, projections.Paging{Limit: 100})
	put("dead letters", dl, err)
	dl, err = q.DeadLetters(ctx, projections.Paging{Limit: 1, Offset: 1})
	put("dead letters page 2", dl, err)
	// The aggregates themselves, beyond what the answers use.
	for _, g := range [][]projections.Dim{{projections.DimDay, projections.DimPlatform, projections.DimProduct, projections.DimEnterprise,
		projections.DimVillage, projections.DimLivestream, projections.DimPartyKind, projections.DimPartyID}, nil} {
		rows, err := q.Store.Sales(ctx, projections.SalesQuery{GroupBy: g})
		put(fmt.Sprintf("sales by %v", g), rows, err)
	}
	// Every grouping ClickHouse keeps order counts for, and one it does
	// not (counted from the entries), with every count asked for.
	d := projections.DimDay
	for _, g := range [][]projections.Dim{
		{d, projections.DimPlatform, projections.DimEnterprise, projections.DimVillage, projections.DimLivestream}, nil,
		{d}, {projections.DimPlatform}, {d, projections.DimEnterprise}, {projections.DimVillage},
		{d, projections.DimLivestream}, {projections.DimEnterprise, projections.DimLivestream},
	} {
		for _, p := range periods[:2] {
			rows, err := q.Store.Orders(ctx, projections.SalesQuery{Period: p, GroupBy: g, WithRefunded: true, WithBuyers: true})
			put(fmt.Sprintf("orders by %v in %v", g, p), rows, err)
		}
	}
	return out
}
