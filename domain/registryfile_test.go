package domain_test

import (
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// readTestdata reads testdata/name or, where there is none, the sample of
// that name: the samples have one copy, sampledata.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if errors.Is(err, fs.ErrNotExist) {
		if sample, ok := sampledata.Lookup(name); ok {
			return sample
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRegistryFileListsEveryProblem: a file with problems in many records,
// some of which cannot even be decoded, is refused with every problem on a
// line of its own naming its record.
func TestRegistryFileListsEveryProblem(t *testing.T) {
	_, err := domain.ParseRegistryFile(readTestdata(t, "registry-problems.json"))
	if err == nil {
		t.Fatal("a registry file with 15 problems was accepted")
	}
	want := []string{
		`village #2: id is empty`,
		`village "V-PINGHU": appears twice in the file`,
		`household "H-0002": members is 0, must be from 1 to 100`,
		`household "H-0003": category "贫困户" is not one of 脱贫户, 监测户`,
		`household #4 (id H-0004): json: cannot unmarshal string`,
		`household #5: id looks like an ID-card number`,
		`household #5: village V-NOWHERE is not in the file`,
		`household #5: baseline_income_fen is -5`,
		`household #6 (id H-0006): json: unknown field "name"`,
		`enterprise "E-HELPER": paired village V-PULIU is not in the file`,
		`listing "douyin:1747203364827180" from 2020-04-01T00:00:00+08:00: household H-0009 is not in the file`,
		`listing "jd:100012043978" from 2020-04-01T00:00:00+08:00: enterprise E-NONE is not in the file`,
		`listing "jd:100012043978" from 2020-04-01T00:00:00+08:00: households_bp 9000 + village_collective_bp 2000 must be non-negative and at most 10000`,
		`listing #3 (kuaishou:2168351009120): effective_from "2020-01-01T00:00:00" is neither an RFC 3339 time`,
		`listing "file:832-FLW-0107" from 2020-01-01T00:00:00+08:00: households_bp is 4000 but no household has a positive weight`,
	}
	lines := strings.Split(err.Error(), "\n")
	if lines[0] != "registry file has 15 problem(s):" {
		t.Errorf("first line %q, want the count of 15 problems", lines[0])
	}
	for _, w := range want {
		n := 0
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d lines start with %q, want 1; the error:\n%v", n, w, err)
		}
	}
	if len(lines) != 1+len(want) {
		t.Errorf("%d problems listed, want %d:\n%v", len(lines)-1, len(want), err)
	}
	if strings.Contains(err.Error(), "350303198001011234") {
		t.Errorf("the error repeats an ID-card-like id:\n%v", err)
	}
}

// applied is the registry the file's events make.
func applied(f *domain.RegistryFile) *domain.Registry {
	reg := domain.NewRegistry()
	for _, e := range f.Events() {
		reg.Apply(e)
	}
	return reg
}

// sampleRegistry is the sample registry.json (sampledata, shared/samples),
// parsed and applied.
func sampleRegistry(t testing.TB) (*domain.RegistryFile, *domain.Registry) {
	t.Helper()
	f, err := domain.ParseRegistryFile(readTestdata(t, "registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f, applied(f)
}

func household(category string) string {
	return `{"district":{"id":"D","name":"d","monitoring_line_fen":650000},"villages":[{"id":"V","name":"v","town":"t"}],
		"households":[{"id":"H-1","village_id":"V","members":3,"baseline_income_fen":0,"category":"` + category + `"}]}`
}

// TestHouseholdCategories: only the monitoring system's categories load;
// 监测对象 loads as 监测户.
func TestHouseholdCategories(t *testing.T) {
	for _, tc := range []struct {
		category, loaded string // loaded "": refused
	}{
		{"脱贫户", "脱贫户"}, {"监测户", "监测户"}, {"监测对象", "监测户"}, {"脱贫不稳定户", "脱贫不稳定户"},
		{"边缘易致贫户", "边缘易致贫户"}, {"突发严重困难户", "突发严重困难户"}, {"一般农户", "一般农户"},
		{"贫困户", ""}, {"", ""}, {"脱贫户 ", ""}, {"monitored", ""},
	} {
		f, err := domain.ParseRegistryFile([]byte(household(tc.category)))
		switch {
		case tc.loaded == "" && err == nil:
			t.Errorf("category %q was accepted", tc.category)
		case tc.loaded == "" && !strings.Contains(err.Error(), `household "H-1": category "`+tc.category+`" is not one of`):
			t.Errorf("category %q refused with %v", tc.category, err)
		case tc.loaded != "" && err != nil:
			t.Errorf("category %q refused: %v", tc.category, err)
		case tc.loaded != "" && f.Households[0].Category != tc.loaded:
			t.Errorf("category %q loaded as %q, want %q", tc.category, f.Households[0].Category, tc.loaded)
		}
	}
}

func listingFrom(effectiveFrom string) string {
	return `{"district":{"id":"D","name":"d","monitoring_line_fen":650000},"villages":[{"id":"V","name":"v","town":"t"}],
		"enterprises":[{"id":"E","name":"e","party_branch":"b","paired_villages":["V"]}],
		"listings":[{"platform":"jd","sku_id":"1","product":"loquat","name":"n","enterprise_id":"E","village_id":"V",
		  "effective_from":"` + effectiveFrom + `","households_bp":0,"village_collective_bp":1000,"households":[]}]}`
}

// TestEffectiveFromDateOnly: a date alone is the midnight that starts it in
// China time (16:00 UTC the day before), not UTC midnight.
func TestEffectiveFromDateOnly(t *testing.T) {
	midnight := time.Date(2020, 4, 1, 0, 0, 0, 0, domain.ChinaTime)
	for _, tc := range []struct {
		in      string
		want    time.Time // zero: refused
		errHas  string
		comment string
	}{
		{in: "2020-04-01", want: midnight},
		{in: "2020-04-01T00:00:00+08:00", want: midnight},
		{in: "2020-03-31T16:00:00Z", want: midnight},
		{in: "2020-04-01T00:00:00", errHas: "needs a zone offset"},
		{in: "2020/04/01", errHas: "is not a date YYYY-MM-DD"},
		{in: "2020-02-30", errHas: "is not a date YYYY-MM-DD"},
		{in: "1970-01-01", errHas: "is not between 2000 and 2100"},
	} {
		f, err := domain.ParseRegistryFile([]byte(listingFrom(tc.in)))
		if tc.want.IsZero() {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("effective_from %q: error %v, want one saying %q", tc.in, err, tc.errHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("effective_from %q: %v", tc.in, err)
			continue
		}
		if got := f.Listings[0].EffectiveFrom; !got.Equal(tc.want) {
			t.Errorf("effective_from %q = %s, want %s", tc.in, got.UTC(), tc.want.UTC())
		}
		reg := applied(f)
		if reg.ListingAt("jd", "1", midnight.Add(-time.Second)) != nil || reg.ListingAt("jd", "1", midnight) == nil {
			t.Errorf("effective_from %q: the listing is not in force from exactly %s", tc.in, midnight)
		}
	}
}

// TestRegistryFileEncoding: a UTF-8 byte-order mark is skipped; GBK bytes
// are refused, never decoded into U+FFFD.
func TestRegistryFileEncoding(t *testing.T) {
	sample := readTestdata(t, "registry.json")
	if _, err := domain.ParseRegistryFile(append([]byte("\xef\xbb\xbf"), sample...)); err != nil {
		t.Errorf("a file with a UTF-8 BOM was refused: %v", err)
	}
	gbk := []byte(strings.Replace(household("脱贫户"), "脱贫户", "\xcd\xd1\xc6\xb6\xbb\xa7", 1)) // 脱贫户 in GBK
	_, err := domain.ParseRegistryFile(gbk)
	if !errors.Is(err, domain.ErrNotUTF8) || !strings.Contains(err.Error(), "offset") {
		t.Errorf("a GBK file: %v, want ErrNotUTF8 with the offset", err)
	}
}

// TestRegistryFileOntoRegistry: a file that adds one listing is valid onto
// the registry that holds its enterprise, village and households, and
// invalid on its own.
func TestRegistryFileOntoRegistry(t *testing.T) {
	base, reg := sampleRegistry(t)
	add, err := domain.DecodeRegistryFile(readTestdata(t, "registry-add-listing.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := add.ValidateOnto(reg); err != nil {
		t.Errorf("adding a listing onto the loaded registry: %v", err)
	}
	err = add.Validate()
	for _, want := range []string{"district: is missing", "enterprise E-HELPER is not in the file", "household H-0001 is not in the file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("the same file on its own: %v, want a problem %q", err, want)
		}
	}
	err = add.ValidateOnto(domain.NewRegistry())
	if err == nil || !strings.Contains(err.Error(), "enterprise E-HELPER is neither in the file nor in the registry loaded before") {
		t.Errorf("onto an empty registry: %v", err)
	}
	ch := add.ChangesTo(reg)
	if ch.New != 1 || ch.Changed != 0 || ch.Unchanged != 0 || len(ch.Events) != 1 {
		t.Errorf("changes: %d new, %d changed, %d unchanged, %d events; want 1, 0, 0, 1", ch.New, ch.Changed, ch.Unchanged, len(ch.Events))
	}
	if len(ch.Missing) != 3+5+2+4 {
		t.Errorf("missing %d records, want all 14 of the registry: %v", len(ch.Missing), ch.Missing)
	}
	// The whole sample again, with one household changed: one change, the
	// rest unchanged, nothing missing.
	again := *base
	again.Households = append([]domain.Household(nil), base.Households...)
	again.Households[1].Members++
	ch = again.ChangesTo(reg)
	if ch.New != 0 || ch.Changed != 1 || ch.Unchanged != 1+3+4+2+4 || len(ch.Missing) != 0 {
		t.Errorf("changes: %d new, %d changed, %d unchanged, missing %v; want 0, 1, 14, none", ch.New, ch.Changed, ch.Unchanged, ch.Missing)
	}
}

// TestRegistryFileOtherDistrict: a file of another district is not loaded
// onto a registry.
func TestRegistryFileOtherDistrict(t *testing.T) {
	reg := domain.NewRegistry()
	reg.Apply(&domain.DistrictDefined{District: domain.District{ID: "350303", Name: "城厢区", MonitoringLineFen: 650000}})
	f, err := domain.DecodeRegistryFile([]byte(household("脱贫户")))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ValidateOnto(reg); err == nil || !strings.Contains(err.Error(), "district: id D is not the loaded district's, 350303") {
		t.Errorf("another district: %v", err)
	}
}
