package domain_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// TestOldRegistryLineEveryYear: a registry of the format before lines per
// year (the sample registry.json: one monitoring_line_fen) has that line for
// every year, and its households their registered terms on every day.
func TestOldRegistryLineEveryYear(t *testing.T) {
	_, reg := sampleRegistry(t)
	for _, y := range []int{2000, 2019, 2020, 2026, 2100} {
		if got := reg.MonitoringLineFor(y); got != 650000 {
			t.Errorf("line of %d: %d fen, want the district's 650000", y, got)
		}
	}
	for _, day := range []string{"2000-01-01", "2020-05-01", "2099-12-31"} {
		h, ok := reg.HouseholdOn("H-0001", day)
		if !ok || h != reg.Households["H-0001"] {
			t.Errorf("H-0001 on %s: %+v, want as registered %+v", day, h, reg.Households["H-0001"])
		}
	}
	if _, ok := reg.HouseholdOn("H-NONE", "2020-01-01"); ok {
		t.Error("an unknown household is in force")
	}
}

// TestNewYearsLineOnlyLaterYears loads lines of 2026 and 2027 and new terms
// of a household onto the sample registry: the years before 2026 keep the
// district's line, each year from 2026 has its own (2028 on: 2027's), and
// the household's terms change on 2027-01-01 and not a day before.
func TestNewYearsLineOnlyLaterYears(t *testing.T) {
	whole, reg := sampleRegistry(t)
	before := map[int]domain.Fen{}
	for y := 2000; y <= 2100; y++ {
		before[y] = reg.MonitoringLineFor(y)
	}
	data, err := os.ReadFile("testdata/registry-2027-line.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := domain.ParseRegistryFileOnto(data, reg)
	if err != nil {
		t.Fatal(err)
	}
	ch := f.ChangesTo(reg)
	if ch.New != 3 || ch.Changed != 0 || len(ch.Events) != 3 {
		t.Fatalf("changes %+v, want 3 new records", ch)
	}
	for _, e := range ch.Events {
		reg.Apply(e)
	}
	for y := 2000; y <= 2100; y++ {
		want := before[y]
		switch {
		case y == 2026:
			want = 700000
		case y >= 2027:
			want = 745000
		}
		if got := reg.MonitoringLineFor(y); got != want {
			t.Errorf("line of %d: %d fen, want %d", y, got, want)
		}
	}
	for day, want := range map[string][2]int64{"2026-12-31": {3, 1530000}, "2027-01-01": {4, 1610000}, "2030-06-30": {4, 1610000}} {
		h, _ := reg.HouseholdOn("H-0002", day)
		if h.Members != want[0] || int64(h.BaselineIncomeFen) != want[1] || h.VillageID != "V-PINGHU" || h.Category != "监测户" {
			t.Errorf("H-0002 on %s: %+v, want members %d baseline %d and its village and category", day, h, want[0], want[1])
		}
	}
	// Loaded again: nothing new. Replaced by a file without them: missing.
	if again := f.ChangesTo(reg); len(again.Events) != 0 || again.Unchanged != 3 {
		t.Errorf("loading the file twice: %+v, want 3 unchanged", again)
	}
	missing := strings.Join(whole.ChangesTo(reg).Missing, "; ")
	for _, want := range []string{"monitoring line of 2026", "monitoring line of 2027", `household terms "H-0002" from 2027-01-01`} {
		if !strings.Contains(missing, want) {
			t.Errorf("missing from the old file: %s; want %s among them", missing, want)
		}
	}
	// The clone is the registry, and changing it leaves the original.
	c := reg.Clone()
	c.PutMonitoringLine(domain.MonitoringLine{Year: 2026, LineFen: 1})
	c.PutHouseholdTerms(domain.HouseholdTerms{HouseholdID: "H-0002", From: "2027-01-01", Members: 9})
	if reg.MonitoringLineFor(2026) != 700000 || reg.HouseholdTermsOf("H-0002")[0].Members != 4 {
		t.Error("changing a clone changed the registry")
	}
}

func TestRegistryHistoryProblems(t *testing.T) {
	_, reg := sampleRegistry(t)
	data, err := os.ReadFile("testdata/registry-history-problems.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = domain.ParseRegistryFileOnto(data, reg)
	if err == nil {
		t.Fatal("a file of bad lines and terms was accepted")
	}
	for _, want := range []string{
		"monitoring line of 1999: year 1999 is not between 2000 and 2100",
		"monitoring line of 2027: monitoring_line_fen is 0, must be positive",
		"monitoring line of 2028: appears twice in the file",
		`household terms "H-NONE" from 2027-01-01: household H-NONE is neither in the file nor in the registry loaded before`,
		`household terms "H-0001" from 2027-13-01: from "2027-13-01" is not a date YYYY-MM-DD`,
		`household terms "H-0001" from 2027-13-01: members is 0, must be from 1 to 100`,
		`household terms "H-0001" from 2027-13-01: baseline_income_fen is -1, must be from 0`,
		`household terms "H-0002" from 2027-01-01: appears twice in the file`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q among the problems:\n%v", want, err)
		}
	}
	if n := strings.Count(err.Error(), "\n"); n != 8 {
		t.Errorf("%d problems listed, want 8:\n%v", n, err)
	}
}

func TestPerCapitaIncome(t *testing.T) {
	for _, c := range []struct {
		baseline, trailing domain.Fen
		members            int64
		want               domain.Fen
	}{
		{1558918, 0, 2, 779459},
		{1000000, 1, 3, 333333},
		{0, -7, 2, -4},   // rounded down, not towards zero
		{500, 0, 0, 500}, // members below 1 count as 1
	} {
		if got := domain.PerCapitaIncome(c.baseline, c.trailing, c.members); got != c.want {
			t.Errorf("PerCapitaIncome(%d, %d, %d) = %d, want %d", c.baseline, c.trailing, c.members, got, c.want)
		}
	}
}

func TestIncomeKinds(t *testing.T) {
	for name, want := range map[string][2]string{
		"procurement": {"procurement", "operating"}, "收购款": {"procurement", "operating"},
		"务工": {"wage", "wage"}, "工资": {"wage", "wage"}, "WAGE": {"wage", "wage"},
		"分红": {"dividend", "property"}, "租金": {"rent", "property"}, "rent": {"rent", "property"},
		"补贴": {"subsidy", "transfer"}, " subsidy ": {"subsidy", "transfer"},
	} {
		kind, ok := domain.ParseIncomeKind(name)
		category, _ := domain.IncomeCategoryOf(kind)
		if !ok || kind != want[0] || category != want[1] {
			t.Errorf("%q: kind %q (%v) category %q, want %v", name, kind, ok, category, want)
		}
	}
	for _, bad := range []string{"", "bonus", "工资性", "收 购款"} {
		if k, ok := domain.ParseIncomeKind(bad); ok {
			t.Errorf("%q read as kind %q", bad, k)
		}
	}
	var c domain.IncomeByCategory
	for _, k := range domain.IncomeKinds() {
		category, ok := domain.IncomeCategoryOf(k)
		if !ok || !c.Add(category, 1) {
			t.Errorf("kind %s has no category", k)
		}
		if err := (&domain.IncomeRecorded{HouseholdID: "H", Kind: k, AmountFen: 1, Reference: "R", OccurredAt: time.Date(2026, 1, 2, 0, 0, 0, 0, domain.ChinaTime)}).Validate(); err != nil {
			t.Errorf("kind %s: %v", k, err)
		}
	}
	if c.Total() != domain.Fen(len(domain.IncomeKinds())) || c.Add("other", 1) {
		t.Errorf("categories %+v", c)
	}
}
