package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"

	"github.com/loquat-dev/loquat/projections"
)

// Answers collects every answer the API gives for the store's data, by a
// key naming it, for two stores' answers to be compared (CompareAnswers):
// the overview and every list for eight periods, and every household, village,
// enterprise (for four periods), statement (for two) and livestream one by
// one, and the monitoring list as at four days.
func Answers(t *testing.T, q *projections.Queries) map[string]any {
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
			projections.Period{From: first[:8] + "01", To: "2030-01-01"}, projections.Period{From: "2030-01-01"})
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
		if i < 2 {
			for id := range reg.Households {
				st, err := q.Statement(ctx, id, p)
				put("statement "+id+at, st, err)
			}
		}
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
	for _, day := range []string{"2020-05-01", "2021-01-04", "2021-01-20", "2022-01-03"} {
		m, err := q.Monitoring(ctx, projections.MonitoringQuery{To: day, Paging: everything})
		put("monitoring as at "+day, m, err)
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

// CompareAnswers reports every answer of got (named gotName, e.g. the
// store under test) that differs from want's, as JSON and as Go values.
func CompareAnswers(t *testing.T, want, got map[string]any, wantName, gotName string) {
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
			t.Errorf("%s:\n got (%s) %s\nwant (%s) %s", k, gotName, g, wantName, w)
		}
	}
	if len(got) != len(want) || len(want) < 50 {
		t.Errorf("%d answers from %s, %d from %s (want at least 50)", len(got), gotName, len(want), wantName)
	}
}
