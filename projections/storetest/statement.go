package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// testStatements checks households' statements over a generated data set:
// for random households and periods, the statement's lines sum to the
// household answer's figures to the fen; over all time, to the reference
// computed from the generated events; lines are in time order and in the
// period; scopes see a statement as they see the household, and an
// enterprise never.
func testStatements(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := GenerateOverTime(11, 1500)
	ds.Project(t, store, 0)
	q := queries(store)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 3))
	var ids []string
	for id := range ds.Want.Registry.Households {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	for _, id := range ids { // all time: against the reference
		st, err := q.Statement(ctx, id, projections.Period{})
		if err != nil {
			t.Fatal(err)
		}
		lines, income, byCategory := statementSums(st)
		if lines != ds.Want.Households[id] || income != ds.Want.Income[id] {
			t.Errorf("statement of %s over all time: lines %d income %d fen; the generated events give %d and %d",
				id, lines, income, ds.Want.Households[id], ds.Want.Income[id])
		}
		want := ds.Want.IncomeByCategory[id]
		want.OperatingFen += ds.Want.Households[id]
		if byCategory != want || st.IncomeByCategory != want {
			t.Errorf("statement of %s by category: lines give %+v, totals say %+v; want %+v", id, byCategory, st.IncomeByCategory, want)
		}
	}
	periods := randomPeriods(11)
	for range 40 {
		id, p := ids[r.IntN(len(ids))], periods[r.IntN(len(periods))]
		st, err := q.Statement(ctx, id, p)
		if err != nil {
			t.Fatal(err)
		}
		h, err := q.Household(ctx, id, p)
		if err != nil {
			t.Fatal(err)
		}
		checkStatement(t, st, h, p)
	}

	if _, err := q.Statement(ctx, "H999", projections.Period{}); !errors.Is(err, projections.ErrNotFound) {
		t.Errorf("statement of an unknown household: %v, want not found", err)
	}
	all := projections.Period{}
	for _, id := range []string{"H101", "H305"} {
		want, err := q.Statement(ctx, id, all)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			scope projections.Scope
			ok    bool
		}{
			{projections.Scope{VillageID: want.VillageID}, true},
			{projections.Scope{VillageID: "V2"}, want.VillageID == "V2"},
			{projections.Scope{EnterpriseID: "E1"}, false},
			{projections.Scope{EnterpriseID: "E2"}, false},
		} {
			got, err := q.ScopedStatement(ctx, tc.scope, id, all)
			switch {
			case tc.ok && (err != nil || !reflect.DeepEqual(got, want)):
				t.Errorf("statement of %s as %+v: %v, want the unscoped one", id, tc.scope, err)
			case !tc.ok && !errors.Is(err, projections.ErrNotFound):
				t.Errorf("statement of %s as %+v: %v, want not found", id, tc.scope, err)
			}
		}
	}
	if _, err := q.ScopedStatement(ctx, projections.Scope{}, "H101", all); !errors.Is(err, projections.ErrForbidden) {
		t.Errorf("statement to the zero scope: %v, want forbidden", err)
	}
}

// statementSums sums a statement's lines and income records, the income
// by a category table of the test's own.
func statementSums(st projections.Statement) (lines, income domain.Fen, byCategory domain.IncomeByCategory) {
	for _, l := range st.Lines {
		lines += l.AmountFen
	}
	byCategory.OperatingFen = lines
	for _, in := range st.Income {
		income += in.AmountFen
		switch in.Kind {
		case "procurement":
			byCategory.OperatingFen += in.AmountFen
		case "wage":
			byCategory.WageFen += in.AmountFen
		case "dividend", "rent":
			byCategory.PropertyFen += in.AmountFen
		case "subsidy":
			byCategory.TransferFen += in.AmountFen
		}
	}
	return lines, income, byCategory
}

// checkStatement asserts that a statement adds up to the household answer
// of the same period, to the fen, and lists only the period, in time order.
func checkStatement(t *testing.T, st projections.Statement, h projections.HouseholdSummary, p projections.Period) {
	t.Helper()
	lines, income, byCategory := statementSums(st)
	if lines != h.AttributedSalesFen || income != h.RecordedIncomeFen || lines+income != h.IncomeGainFen || byCategory != h.IncomeByCategory {
		t.Errorf("statement of %s %+v: lines %d income %d by category %+v; the household answer: sales %d recorded %d gain %d by category %+v",
			h.HouseholdID, p, lines, income, byCategory, h.AttributedSalesFen, h.RecordedIncomeFen, h.IncomeGainFen, h.IncomeByCategory)
	}
	if st.AttributedSalesFen != h.AttributedSalesFen || st.RecordedIncomeFen != h.RecordedIncomeFen || st.IncomeGainFen != h.IncomeGainFen ||
		st.PerCapitaIncomeFen != h.PerCapitaIncomeFen || st.MonitoringLineFen != h.MonitoringLineFen || st.BelowMonitoringLine != h.BelowMonitoringLine {
		t.Errorf("statement of %s %+v totals: %d/%d/%d fen, per capita %d line %d; the household answer: %d/%d/%d, %d, %d", h.HouseholdID, p,
			st.AttributedSalesFen, st.RecordedIncomeFen, st.IncomeGainFen, st.PerCapitaIncomeFen, st.MonitoringLineFen,
			h.AttributedSalesFen, h.RecordedIncomeFen, h.IncomeGainFen, h.PerCapitaIncomeFen, h.MonitoringLineFen)
	}
	var times []string
	for _, l := range st.Lines {
		times = append(times, l.At)
	}
	for _, in := range st.Income {
		times = append(times, in.At)
	}
	for i, at := range times {
		v, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatalf("statement of %s: time %q: %v", h.HouseholdID, at, err)
		}
		if d := domain.Day(v); (p.From != "" && d < p.From) || (p.To != "" && d > p.To) {
			t.Errorf("statement of %s %+v lists an item of %s, outside the period", h.HouseholdID, p, d)
		}
		if i > 0 && i != len(st.Lines) && at < times[i-1] {
			t.Errorf("statement of %s: %s after %s, out of time order", h.HouseholdID, at, times[i-1])
		}
	}
}

// testMonitoring checks the monitoring list over a generated data set,
// as at several days, against the rule worked out here from the generated
// events themselves (each household's income by day), with the default
// thresholds and others.
func testMonitoring(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := GenerateOverTime(12, 1500)
	ds.Project(t, store, 0)
	ctx := context.Background()
	reg := ds.Want.Registry
	seen := map[string]int{}
	for _, th := range []domain.MonitoringThresholds{{}, {NearLinePct: 60, DropPct: 5}} {
		q := &projections.Queries{Store: store, MonitoringThresholds: th}
		near, drop := cmpOr(th.NearLinePct, 10), cmpOr(th.DropPct, 30)
		for _, asAt := range []string{"2021-01-03", "2021-01-12", "2021-12-31", "2022-01-02", "2022-01-05", "2022-06-01", "2023-01-04"} {
			got, err := q.Monitoring(ctx, projections.MonitoringQuery{To: asAt, Paging: projections.Paging{Limit: 10000}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{}
			day, _ := time.ParseInLocation(domain.DayLayout, asAt, domain.ChinaTime)
			trailingFrom, priorFrom := domain.Day(day.AddDate(0, 0, -364)), domain.Day(day.AddDate(0, 0, -729))
			for id := range reg.Households {
				var trailing, prior domain.Fen
				for d, fen := range ds.Want.HouseholdDaily[id] {
					switch {
					case d >= trailingFrom && d <= asAt:
						trailing += fen
					case d >= priorFrom && d < trailingFrom:
						prior += fen
					}
				}
				h, _ := reg.HouseholdOn(id, asAt)
				line := reg.MonitoringLineFor(day.Year())
				members := max(h.Members, 1)
				sum := h.BaselineIncomeFen + trailing
				perCapita := sum / domain.Fen(members)
				if sum < 0 && sum%domain.Fen(members) != 0 {
					perCapita-- // floor
				}
				var reasons []string
				if perCapita < line {
					reasons = append(reasons, "below_line")
				} else if perCapita*100 <= line*domain.Fen(100+near) {
					reasons = append(reasons, "near_line")
				}
				if prior > 0 && trailing*100 < prior*domain.Fen(100-drop) {
					reasons = append(reasons, "income_drop")
				}
				if reasons != nil {
					want[id] = reasons
				}
			}
			gotReasons := map[string][]string{}
			for _, it := range got.Items {
				gotReasons[it.HouseholdID] = it.Reasons
				for _, r := range it.Reasons {
					seen[r]++
				}
			}
			if !reflect.DeepEqual(gotReasons, want) {
				t.Errorf("monitoring %+v as at %s:\n got  %v\n want %v", th, asAt, gotReasons, want)
			}
			if got.Total != len(want) || got.AsAt != asAt {
				t.Errorf("monitoring as at %s: total %d as at %s, want %d", asAt, got.Total, got.AsAt, len(want))
			}
			if th == (domain.MonitoringThresholds{}) && (asAt == "2021-01-12" || asAt == "2022-01-02") {
				checkMonitoringFilters(t, q, asAt, got.Items) // on two days: the filters do not depend on the day
			}
		}
	}
	for _, r := range domain.MonitoringReasons() {
		if seen[r] == 0 {
			t.Errorf("no household was flagged %s: the data set does not test it", r)
		}
	}
}

func cmpOr(v, def int64) int64 {
	if v == 0 {
		return def
	}
	return v
}

// checkMonitoringFilters asserts that each filter and scope answers the
// unfiltered list's items that match it.
func checkMonitoringFilters(t *testing.T, q *projections.Queries, asAt string, all []projections.MonitoringItem) {
	t.Helper()
	ctx := context.Background()
	every := projections.Paging{Limit: 10000}
	type filter struct {
		scope projections.Scope
		mq    projections.MonitoringQuery
		keep  func(projections.MonitoringItem) bool
	}
	filters := []filter{
		{projections.Unscoped, projections.MonitoringQuery{VillageID: "V2"}, func(it projections.MonitoringItem) bool { return it.VillageID == "V2" }},
		{projections.Unscoped, projections.MonitoringQuery{Category: "脱贫户"}, func(projections.MonitoringItem) bool { return true }},
		{projections.Unscoped, projections.MonitoringQuery{Category: "监测户"}, func(projections.MonitoringItem) bool { return false }},
		{projections.Scope{VillageID: "V3"}, projections.MonitoringQuery{}, func(it projections.MonitoringItem) bool { return it.VillageID == "V3" }},
	}
	for _, r := range domain.MonitoringReasons() {
		filters = append(filters, filter{projections.Unscoped, projections.MonitoringQuery{Reason: r},
			func(it projections.MonitoringItem) bool { return slices.Contains(it.Reasons, r) }})
	}
	for _, f := range filters {
		f.mq.To, f.mq.Paging = asAt, every
		got, err := q.ScopedMonitoring(ctx, f.scope, f.mq)
		if err != nil {
			t.Fatal(err)
		}
		want := []projections.MonitoringItem{}
		for _, it := range all {
			if f.keep(it) {
				want = append(want, it)
			}
		}
		if !reflect.DeepEqual(got.Items, want) {
			t.Errorf("monitoring as at %s as %+v, %+v: %d items, want the %d of the whole list that match", asAt, f.scope, f.mq, len(got.Items), len(want))
		}
	}
	for _, tc := range []struct {
		scope projections.Scope
		mq    projections.MonitoringQuery
		err   error
	}{
		{projections.Scope{EnterpriseID: "E1"}, projections.MonitoringQuery{}, projections.ErrForbidden},
		{projections.Scope{}, projections.MonitoringQuery{}, projections.ErrForbidden},
		{projections.Scope{VillageID: "V3"}, projections.MonitoringQuery{VillageID: "V1"}, projections.ErrNotFound},
		{projections.Unscoped, projections.MonitoringQuery{VillageID: "V9"}, projections.ErrNotFound},
		{projections.Unscoped, projections.MonitoringQuery{Reason: "poor"}, projections.ErrBadRequest},
	} {
		tc.mq.To, tc.mq.Paging = asAt, every
		if _, err := q.ScopedMonitoring(ctx, tc.scope, tc.mq); !errors.Is(err, tc.err) {
			t.Errorf("monitoring as %+v, %+v: %v, want %v", tc.scope, tc.mq, err, tc.err)
		}
	}
}

// testSessions projects one live room's two shows a week apart, with
// refunds after each, and checks its two sessions' exact figures.
func testSessions(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	reg := &domain.RegistryFile{District: domain.District{ID: "D", Name: "d", MonitoringLineFen: 650000},
		Villages:    []domain.Village{{ID: "V1", Name: "v", Town: "t"}},
		Households:  []domain.Household{{ID: "H1", VillageID: "V1", Members: 2, BaselineIncomeFen: 800000, Category: "脱贫户"}},
		Enterprises: []domain.Enterprise{{ID: "E1", Name: "e", PartyBranch: "b", PairedVillages: []string{"V1"}}},
		Listings: []domain.Listing{{Platform: "douyin", SKUID: "S1", Product: "loquat", Name: "loquat", EnterpriseID: "E1", VillageID: "V1",
			EffectiveFrom: time.Date(2021, 1, 1, 0, 0, 0, 0, domain.ChinaTime), HouseholdsBP: 6000, VillageCollectiveBP: 1000,
			Households: []domain.HouseholdWeight{{ID: "H1", Weight: 1}}}},
	}
	if err := reg.Validate(); err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation(time.DateTime, s, domain.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	room := &domain.LivestreamRef{RoomID: "7001", AnchorName: "anchor"}
	var events []domain.Event
	order := func(id, paid string, amounts ...domain.Fen) {
		p := at(paid)
		e := &domain.OrderPaid{Platform: "douyin", OrderID: id, CreatedAt: p.Add(-5 * time.Second), PaidAt: p, BuyerRef: "b-" + id}
		for i, a := range amounts {
			e.Lines = append(e.Lines, domain.PaidLine{LineID: fmt.Sprint(i + 1), SKUID: "S1", Quantity: 1, AmountFen: a, Livestream: room})
		}
		events = append(events, &domain.OrderCreated{Platform: "douyin", OrderID: id, CreatedAt: e.CreatedAt}, e)
	}
	refund := func(orderID, id, when string, amount domain.Fen) {
		events = append(events, &domain.RefundSucceeded{Platform: "douyin", OrderID: orderID, LineID: "1", RefundID: id, AmountFen: amount, RefundedAt: at(when)})
	}
	// The first show: four orders, the last 67 minutes after the third.
	order("A", "2021-03-01 20:00:10", 1000, 500)
	order("B", "2021-03-01 20:00:40", 700)
	order("C", "2021-03-01 20:03:05", 300)
	order("D", "2021-03-01 21:10:00", 100)
	refund("B", "RB", "2021-03-02 10:00:00", 700)
	// A week later, the second show; a refund during it.
	order("E", "2021-03-08 19:30:00", 2000)
	order("F", "2021-03-08 19:31:30", 400)
	refund("E", "RE", "2021-03-08 19:45:00", 500)
	Feed{Registry: reg.Events(), Events: events}.Project(t, store, 0)

	q := queries(store)
	ctx := context.Background()
	ls, err := q.Livestream(ctx, "douyin:7001")
	if err != nil {
		t.Fatal(err)
	}
	want := []projections.LivestreamSession{
		{Start: "2021-03-01T20:00", End: "2021-03-01T21:10", Minutes: 71, Orders: 4,
			Money: projections.Money{GMVFen: 2600, RefundsFen: 700, NetFen: 1900}, OrdersPerMinute: 0.06,
			PeakMinute: projections.MinuteFigs{Minute: "2021-03-01T20:00", Orders: 2, Money: projections.Money{GMVFen: 2200, NetFen: 2200}}},
		{Start: "2021-03-08T19:30", End: "2021-03-08T19:31", Minutes: 2, Orders: 2,
			Money: projections.Money{GMVFen: 2400, RefundsFen: 500, NetFen: 1900}, OrdersPerMinute: 1,
			PeakMinute: projections.MinuteFigs{Minute: "2021-03-08T19:30", Orders: 1, Money: projections.Money{GMVFen: 2000, NetFen: 2000}}},
	}
	if !reflect.DeepEqual(ls.Sessions, want) {
		t.Errorf("sessions of two shows a week apart:\n got  %+v\n want %+v", ls.Sessions, want)
	}
	if ls.Orders != 6 || ls.NetFen != 3800 {
		t.Errorf("the livestream: %d orders, net %d fen; want 6 and 3800", ls.Orders, ls.NetFen)
	}
	for _, s := range []projections.Scope{projections.Unscoped, {EnterpriseID: "E1"}} {
		got, err := q.ScopedLivestreamSessions(ctx, s, "douyin:7001")
		if err != nil || !reflect.DeepEqual(got.Items, want) || got.Total != 2 || got.SessionGapMinutes != 120 {
			t.Errorf("sessions as %+v: %+v, %v; want the two sessions", s, got, err)
		}
	}
	for s, wantErr := range map[*projections.Scope]error{
		{EnterpriseID: "E2"}: projections.ErrNotFound,
		{VillageID: "V1"}:    projections.ErrForbidden,
	} {
		if _, err := q.ScopedLivestreamSessions(ctx, *s, "douyin:7001"); !errors.Is(err, wantErr) {
			t.Errorf("sessions as %+v: %v, want %v", *s, err, wantErr)
		}
	}
	// A gap of a week and a day makes them one session.
	long := &projections.Queries{Store: store, SessionGap: 8 * 24 * time.Hour}
	one, err := long.Livestream(ctx, "douyin:7001")
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Sessions) != 1 || one.Sessions[0].Orders != 6 || one.Sessions[0].NetFen != 3800 {
		t.Errorf("with an 8-day gap: %+v, want one session of 6 orders, 3800 fen net", one.Sessions)
	}
}
