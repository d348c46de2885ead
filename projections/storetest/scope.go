package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// testScopes checks the scoped queries over a generated data set: an
// enterprise's and a village's answers are the unscoped ones restricted to
// them, to the fen; out-of-scope ids are ErrNotFound; the zero Scope gets
// nothing.
func testScopes(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := Generate(3, 1500)
	ds.Project(t, store, 0)
	q := queries(store)
	ctx := context.Background()
	all := projections.Period{}
	everything := projections.Paging{Limit: 10000}
	households, err := q.Households(ctx, projections.HouseholdQuery{Paging: everything})
	if err != nil {
		t.Fatal(err)
	}
	for e, net := range ds.Want.EnterpriseGMV { // net, despite its name
		checkEnterpriseScope(t, q, e, net, households.Items)
	}
	for _, v := range []string{"V1", "V3"} {
		s := projections.Scope{VillageID: v}
		want, err := q.Village(ctx, v, all)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := q.ScopedVillage(ctx, s, v, all); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("village %s as itself: %+v, %v; want %+v", v, got, err, want)
		}
		wantList, err := q.Households(ctx, projections.HouseholdQuery{Paging: everything, VillageID: v})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := q.ScopedHouseholds(ctx, s, projections.HouseholdQuery{Paging: everything}); err != nil || !reflect.DeepEqual(got, wantList) {
			t.Errorf("village %s's households: %v, want the %d of the unscoped list in it", v, err, wantList.Total)
		}
		for _, h := range households.Items {
			_, err := q.ScopedHousehold(ctx, s, h.HouseholdID, all)
			if (h.VillageID == v) != (err == nil) || (err != nil && !errors.Is(err, projections.ErrNotFound)) {
				t.Errorf("household %s of %s as village %s: %v", h.HouseholdID, h.VillageID, v, err)
			}
		}
		ov, err := q.ScopedOverview(ctx, s, all)
		if err != nil || ov.NetFen != want.ProductSalesFen || ov.UnattributedFen != 0 {
			t.Errorf("overview as village %s: net %d unattributed %d, %v; want its listings' net sales %d and none unattributed",
				v, ov.NetFen, ov.UnattributedFen, err, want.ProductSalesFen)
		}
		if _, err := q.ScopedVillage(ctx, s, "V2", all); !errors.Is(err, projections.ErrNotFound) {
			t.Errorf("another village as village %s: %v, want not found", v, err)
		}
	}
	none := projections.Scope{}
	for name, err := range map[string]error{
		"overview":    second(q.ScopedOverview(ctx, none, all)),
		"households":  second(q.ScopedHouseholds(ctx, none, projections.HouseholdQuery{Paging: everything})),
		"household":   second(q.ScopedHousehold(ctx, none, households.Items[0].HouseholdID, all)),
		"enterprises": second(q.ScopedEnterprises(ctx, none, all, everything)),
		"villages":    second(q.ScopedVillages(ctx, none, all, everything)),
		"livestreams": second(q.ScopedLivestreams(ctx, none, all, everything)),
		"dead":        second(q.ScopedDeadLetters(ctx, projections.Scope{All: true}, everything)),
	} {
		if !errors.Is(err, projections.ErrForbidden) {
			t.Errorf("%s with no scope: %v, want forbidden", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// checkScopedOverview checks an enterprise's overview: its net sales (the
// reference's), orders and households reached (its own summary's), the same
// net by platform and by day, and nothing unattributed.
func checkScopedOverview(t *testing.T, q *projections.Queries, s projections.Scope, who string, wantNet domain.Fen, wantOrders, wantReached int64) {
	t.Helper()
	ov, err := q.ScopedOverview(context.Background(), s, projections.Period{})
	if err != nil {
		t.Fatalf("overview as %s: %v", who, err)
	}
	var byPlatform, byDay domain.Fen
	for _, p := range ov.ByPlatform {
		byPlatform += p.NetFen
	}
	for _, d := range ov.ByDay {
		byDay += d.NetFen
	}
	if ov.NetFen != wantNet || byPlatform != wantNet || byDay != wantNet || ov.UnattributedFen != 0 ||
		ov.Orders != wantOrders || ov.HouseholdsReached != wantReached {
		t.Errorf("overview as %s: net %d (by platform %d, by day %d), unattributed %d, %d orders, %d households reached; want net %d, none unattributed, %d orders, %d reached",
			who, ov.NetFen, byPlatform, byDay, ov.UnattributedFen, ov.Orders, ov.HouseholdsReached, wantNet, wantOrders, wantReached)
	}
}

func checkEnterpriseScope(t *testing.T, q *projections.Queries, e string, wantNet domain.Fen, households []projections.HouseholdSummary) {
	t.Helper()
	ctx := context.Background()
	all, everything := projections.Period{}, projections.Paging{Limit: 10000}
	s := projections.Scope{EnterpriseID: e}
	want, err := q.Enterprise(ctx, e, all)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.ScopedEnterprise(ctx, s, e, all)
	if err != nil || !reflect.DeepEqual(got, want) || got.NetFen != wantNet {
		t.Errorf("enterprise %s as itself: net %d, %v; want the unscoped answer, net %d by the reference", e, got.NetFen, err, wantNet)
	}
	checkScopedOverview(t, q, s, "enterprise "+e, wantNet, want.Orders, want.HouseholdsReached)
	list, err := q.ScopedEnterprises(ctx, s, all, everything)
	if err != nil || list.Total != 1 || list.Items[0].EnterpriseID != e || list.Items[0].NetFen != want.NetFen {
		t.Errorf("enterprises as %s: %+v, %v", e, list, err)
	}
	var householdsFen domain.Fen
	for _, v := range want.ByVillage {
		householdsFen += v.HouseholdsFen
	}
	page, err := q.ScopedHouseholds(ctx, s, projections.HouseholdQuery{Paging: everything})
	if err != nil {
		t.Fatal(err)
	}
	shares := page.(projections.Page[projections.HouseholdShare])
	listed := map[string]domain.Fen{}
	var sum domain.Fen
	for _, h := range shares.Items {
		listed[h.HouseholdID] = h.AttributedSalesFen
		sum += h.AttributedSalesFen
	}
	if sum != householdsFen || len(shares.Items) == 0 {
		t.Errorf("households' shares of %s's sales: %d fen over %d, want %d", e, sum, len(shares.Items), householdsFen)
	}
	for _, h := range households {
		got, err := q.ScopedHousehold(ctx, s, h.HouseholdID, all)
		share, ok := listed[h.HouseholdID]
		switch {
		case !ok && !errors.Is(err, projections.ErrNotFound):
			t.Errorf("household %s, not reached by %s: %v, want not found", h.HouseholdID, e, err)
		case ok && (err != nil || got.(projections.HouseholdShare).AttributedSalesFen != share):
			t.Errorf("household %s as %s: %+v, %v; want its listed share %d", h.HouseholdID, e, got, err, share)
		}
	}
	streams, err := q.ScopedLivestreams(ctx, s, all, everything)
	if err != nil {
		t.Fatal(err)
	}
	ofE := map[string]projections.LivestreamFigs{}
	for _, l := range want.Livestreams {
		ofE[l.LivestreamID] = l
	}
	for _, l := range streams.Items {
		if w, ok := ofE[l.ID]; !ok || w.Money != l.Money || w.Orders != l.Orders {
			t.Errorf("livestream %s as %s: %+v %d orders, want %+v", l.ID, e, l.Money, l.Orders, w)
		}
	}
	if streams.Total != len(ofE) {
		t.Errorf("%d livestreams as %s, want %d", streams.Total, e, len(ofE))
	}
	for other := range map[string]bool{"E1": true, "E2": true, "E3": true} {
		if other != e {
			if _, err := q.ScopedEnterprise(ctx, s, other, all); !errors.Is(err, projections.ErrNotFound) {
				t.Errorf("enterprise %s as %s: %v, want not found", other, e, err)
			}
		}
	}
}
