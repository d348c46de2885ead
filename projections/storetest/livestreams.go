package storetest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/projections"
)

// testLivestreamList checks the livestreams list, unscoped and as each
// enterprise, over periods with and without sales, against the store's
// per-livestream answers: it lists exactly the livestreams whose sales or
// refunds in the period (the enterprise's, when scoped) are not zero, each
// with the figures Sales and Orders give for that livestream alone, and
// over all time each item is the single livestream's answer without its
// minutes. The store's LivestreamSales is checked against Sales grouped by
// livestream and the livestreams it describes.
func testLivestreamList(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := Generate(4, 1500)
	ds.Project(t, store, 0)
	q := queries(store)
	ctx := context.Background()
	infos, err := store.Livestreams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) < 2 {
		t.Fatalf("the data set gave %d livestreams, want several", len(infos))
	}
	scopes := []projections.Scope{{All: true}}
	for e := range ds.Want.EnterpriseGMV {
		scopes = append(scopes, projections.Scope{EnterpriseID: e})
	}
	periods := []projections.Period{{}, {From: "2021-01-03", To: "2021-01-03"}, {From: "2021-01-05", To: "2021-01-08"},
		{To: "2021-01-02"}, {From: "2021-01-09"}, {From: "2020-06-01", To: "2020-06-30"}}
	listed := 0
	for _, s := range scopes {
		for _, p := range periods {
			got, err := q.ScopedLivestreams(ctx, s, p, projections.Paging{Limit: 10000})
			if err != nil {
				t.Fatalf("%+v %+v: %v", s, p, err)
			}
			listed += len(got.Items)
			want := livestreamFigures(t, store, infos, p, s.EnterpriseID)
			var ids []string
			for _, it := range got.Items {
				ids = append(ids, it.ID)
				w, ok := want[it.ID]
				if !ok {
					t.Errorf("%+v %+v: %s listed without sales", s, p, it.ID)
					continue
				}
				if it.GMVFen != w.GMVFen || it.RefundsFen != w.RefundsFen || it.Orders != w.Orders || it.Buyers != w.Buyers {
					t.Errorf("%+v %+v: %s GMV %d refunds %d orders %d buyers %d; its own sums give %d %d %d %d", s, p, it.ID,
						it.GMVFen, it.RefundsFen, it.Orders, it.Buyers, w.GMVFen, w.RefundsFen, w.Orders, w.Buyers)
				}
				if p == (projections.Period{}) {
					one, err := q.ScopedLivestream(ctx, s, it.ID)
					if err != nil {
						t.Fatal(err)
					}
					// The list leaves out what only a livestream's own
					// answer carries: its minutes and its sessions.
					one.ByMinute, one.Sessions = nil, nil
					it.ByMinute, it.Sessions = nil, nil
					if !reflect.DeepEqual(it, one) {
						t.Errorf("%+v: listed %s as %+v, alone %+v", s, it.ID, it, one)
					}
				}
			}
			if len(ids) != len(want) {
				t.Errorf("%+v %+v: listed %v, want the %d with sales", s, p, ids, len(want))
			}
			checkLivestreamSales(t, store, infos, p, s.EnterpriseID)
		}
	}
	if listed == 0 {
		t.Error("no livestream listed in any period")
	}
}

// livestreamFigures sums each livestream of infos alone, as Sales and
// Orders give it (of the enterprise's sales when enterpriseID is set),
// keeping those with sales or refunds in the period.
func livestreamFigures(t *testing.T, store projections.Store, infos []projections.LivestreamInfo, p projections.Period, enterpriseID string) map[string]projections.LivestreamSummary {
	t.Helper()
	ctx := context.Background()
	out := map[string]projections.LivestreamSummary{}
	for _, info := range infos {
		sq := projections.SalesQuery{Period: p, LivestreamID: info.ID, EnterpriseID: enterpriseID}
		rows, err := store.Sales(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		var s projections.LivestreamSummary
		for _, r := range rows {
			s.GMVFen += r.SalesFen
			s.RefundsFen += r.RefundsFen
		}
		if s.GMVFen == 0 && s.RefundsFen == 0 {
			continue
		}
		sq.WithBuyers = true
		orders, err := store.Orders(ctx, sq)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range orders {
			s.Orders += o.Orders
			s.Buyers += o.Buyers
		}
		out[info.ID] = s
	}
	return out
}

// checkLivestreamSales compares the store's LivestreamSales with Sales
// grouped by livestream and the livestreams' descriptions.
func checkLivestreamSales(t *testing.T, store projections.Store, infos []projections.LivestreamInfo, p projections.Period, enterpriseID string) {
	t.Helper()
	ctx := context.Background()
	got, err := store.LivestreamSales(ctx, p, enterpriseID)
	if err != nil {
		t.Fatal(err)
	}
	grouped, err := store.Sales(ctx, projections.SalesQuery{Period: p, EnterpriseID: enterpriseID, GroupBy: []projections.Dim{projections.DimLivestream}})
	if err != nil {
		t.Fatal(err)
	}
	var want []projections.LivestreamSalesRow
	for _, r := range grouped {
		if r.LivestreamID == "" {
			continue
		}
		i := slices.IndexFunc(infos, func(l projections.LivestreamInfo) bool { return l.ID == r.LivestreamID })
		if i < 0 {
			t.Fatalf("sales of livestream %s, which Livestreams does not describe", r.LivestreamID)
		}
		want = append(want, projections.LivestreamSalesRow{LivestreamInfo: infos[i], SalesFen: r.SalesFen, RefundsFen: r.RefundsFen})
	}
	slices.SortFunc(want, func(a, b projections.LivestreamSalesRow) int { return strings.Compare(a.ID, b.ID) })
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("LivestreamSales(%+v, %q) = %+v, want %+v", p, enterpriseID, got, want)
	}
}
