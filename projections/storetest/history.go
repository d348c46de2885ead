package storetest

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// randomPeriods draws periods over the generated data's days and the years
// around them (deterministic for a seed), open ones among them.
func randomPeriods(seed int) []projections.Period {
	r := rand.New(rand.NewPCG(uint64(seed), 17))
	day := func() string {
		if r.IntN(4) == 0 { // another year: before, or after the line of 2022
			return domain.Day(dataStart.AddDate(r.IntN(4)-1, r.IntN(12), r.IntN(28)))
		}
		return domain.Day(dataStart.AddDate(0, 0, r.IntN(12)))
	}
	out := []projections.Period{{}}
	for range 12 {
		a, b := day(), day()
		if b < a {
			a, b = b, a
		}
		switch r.IntN(5) {
		case 0:
			a = ""
		case 1:
			b = ""
		}
		out = append(out, projections.Period{From: a, To: b})
	}
	return out
}

// CheckHouseholdIncome asserts, for every household and period, what the
// household answers owe the registry over time and the categories: the
// four categories sum to income_gain_fen, operating includes the attributed
// sales; members and baseline are those in force on the period's last day,
// the line that of its year (when the period has a last day: "today" moves);
// the per-capita income and the flag follow from them; and the list and
// the single household answer alike.
func CheckHouseholdIncome(t testing.TB, q *projections.Queries, reg *domain.Registry, periods []projections.Period) {
	t.Helper()
	ctx := context.Background()
	for _, p := range periods {
		hh, err := q.Households(ctx, projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: 10000}})
		if err != nil {
			t.Fatal(err)
		}
		if len(hh.Items) != len(reg.Households) {
			t.Fatalf("period %+v: %d households answered, %d registered", p, len(hh.Items), len(reg.Households))
		}
		for i, h := range hh.Items {
			c := h.IncomeByCategory
			if c.Total() != h.IncomeGainFen || c.OperatingFen < h.AttributedSalesFen || c.Total()-h.AttributedSalesFen != h.RecordedIncomeFen {
				t.Errorf("period %+v household %s: categories %+v sum to %d fen; income gain %d (sales %d, recorded %d)",
					p, h.HouseholdID, c, c.Total(), h.IncomeGainFen, h.AttributedSalesFen, h.RecordedIncomeFen)
			}
			if p.To != "" {
				in, _ := reg.HouseholdOn(h.HouseholdID, p.To)
				to, _ := domain.ParseDay(p.To)
				line := reg.MonitoringLineFor(to.Year())
				if h.Members != in.Members || h.BaselineIncomeFen != in.BaselineIncomeFen || h.MonitoringLineFen != line {
					t.Errorf("period %+v household %s: members %d baseline %d line %d fen; in force on %s: %d, %d, %d",
						p, h.HouseholdID, h.Members, h.BaselineIncomeFen, h.MonitoringLineFen, p.To, in.Members, in.BaselineIncomeFen, line)
				}
			}
			if want := domain.PerCapitaIncome(h.BaselineIncomeFen, h.TrailingIncomeFen, h.Members); h.PerCapitaIncomeFen != want ||
				h.BelowMonitoringLine != (want < h.MonitoringLineFen) {
				t.Errorf("period %+v household %s: per capita %d fen (below %v), want %d against line %d", p, h.HouseholdID,
					h.PerCapitaIncomeFen, h.BelowMonitoringLine, want, h.MonitoringLineFen)
			}
			if i%7 == 0 {
				one, err := q.Household(ctx, h.HouseholdID, p)
				if err != nil {
					t.Fatal(err)
				}
				one.ByProduct = nil
				if a, b := jsonOf(t, one), jsonOf(t, h); a != b {
					t.Errorf("period %+v household %s: alone %s, in the list %s", p, h.HouseholdID, a, b)
				}
			}
		}
	}
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// householdAnswers is every household answer of every period, as JSON.
func householdAnswers(t testing.TB, q *projections.Queries, periods []projections.Period) []string {
	t.Helper()
	var out []string
	for _, p := range periods {
		hh, err := q.Households(context.Background(), projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: 10000}})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hh.Items {
			out = append(out, jsonOf(t, h))
		}
	}
	return out
}

// testNewYearsLine loads the line of a new year (2023) after everything
// else: every answer for a period ending before 2023 stays as it was, to
// the byte; a period ending in 2023 gets the new line.
func testNewYearsLine(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := GenerateOverTime(7, 600)
	ds.Project(t, store, 0)
	q := queries(store)
	earlier := []projections.Period{{To: "2021-01-05"}, {From: "2021-01-03", To: "2021-01-09"}, {To: "2021-12-31"},
		{From: "2022-01-01", To: "2022-12-31"}, {To: "2020-06-30"}}
	before := householdAnswers(t, q, earlier)
	inNewYear := projections.Period{To: "2023-03-01"}
	old, err := q.Household(context.Background(), "H101", inNewYear)
	if err != nil {
		t.Fatal(err)
	}
	if old.MonitoringLineFen != 720000 {
		t.Fatalf("2023 before its line is loaded: line %d fen, want 2022's 720000 (a year's line holds until the next)", old.MonitoringLineFen)
	}

	later := ds.Feed
	later.Registry = append(append([]domain.Event(nil), ds.Registry...), &domain.MonitoringLineSet{MonitoringLine: domain.MonitoringLine{Year: 2023, LineFen: 10_000_000}})
	later.Project(t, store, 0)

	after := householdAnswers(t, q, earlier)
	if len(after) != len(before) {
		t.Fatalf("%d answers after the new line, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("an earlier answer changed when the line of 2023 was loaded:\n before %s\n after  %s", before[i], after[i])
		}
	}
	now, err := q.Household(context.Background(), "H101", inNewYear)
	if err != nil {
		t.Fatal(err)
	}
	if now.MonitoringLineFen != 10_000_000 || !now.BelowMonitoringLine {
		t.Errorf("2023 after its line is loaded: line %d fen, below %v; want 10000000, below", now.MonitoringLineFen, now.BelowMonitoringLine)
	}
}

// testYearBoundary asks for a household's per-capita income on the last
// day of 2021 and the first of 2022: each against its year's line, with the
// members and baseline in force that day.
func testYearBoundary(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := GenerateOverTime(8, 300)
	ds.Project(t, store, 0)
	q := &projections.Queries{Store: store, Now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, domain.ChinaTime) }}
	h0, _ := ds.Want.Registry.Households["H101"] // every fourth household has dated terms; H101 is the first
	cases := []struct {
		to       string
		members  int64
		baseline domain.Fen
		line     domain.Fen
	}{
		{"2020-12-31", h0.Members, h0.BaselineIncomeFen, 650000},              // before any year's own line: the district's
		{"2021-01-05", h0.Members, h0.BaselineIncomeFen, 680000},              // 2021's line, the registration's terms
		{"2021-12-31", h0.Members + 1, h0.BaselineIncomeFen + 150000, 680000}, // the terms from 2021-01-06
		{"2022-01-01", h0.Members + 2, h0.BaselineIncomeFen + 90000, 720000},  // across the boundary: 2022's line and terms
		{"2031-06-30", h0.Members + 2, h0.BaselineIncomeFen + 90000, 720000},  // 2022's line holds until another is loaded
	}
	for _, c := range cases {
		for _, from := range []string{"", c.to, "2020-01-01"} {
			p := projections.Period{From: from, To: c.to}
			h, err := q.Household(context.Background(), "H101", p)
			if err != nil {
				t.Fatal(err)
			}
			wantPerCapita := (c.baseline + h.TrailingIncomeFen) / domain.Fen(c.members)
			if h.Members != c.members || h.BaselineIncomeFen != c.baseline || h.MonitoringLineFen != c.line ||
				h.PerCapitaIncomeFen != wantPerCapita || h.BelowMonitoringLine != (wantPerCapita < c.line) {
				t.Errorf("to %s: members %d baseline %d line %d per capita %d below %v; want %d, %d, %d, %d, %v", c.to,
					h.Members, h.BaselineIncomeFen, h.MonitoringLineFen, h.PerCapitaIncomeFen, h.BelowMonitoringLine,
					c.members, c.baseline, c.line, wantPerCapita, wantPerCapita < c.line)
			}
		}
	}
	CheckHouseholdIncome(t, q, ds.Want.Registry, randomPeriods(99))
}
