package domain_test

import (
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// TestSampleAttribution checks the attribution table of shared/samples/README.md
// straight from the domain rules, with the sample lines written out by hand.
// The end-to-end tests get the same numbers through the real adapters and API.
func TestSampleAttribution(t *testing.T) {
	data := sampledata.File("registry.json")
	file, err := domain.ParseRegistryFile(data)
	if err != nil {
		t.Fatal(err)
	}
	reg := domain.NewRegistry()
	for _, e := range file.Events() {
		reg.Apply(e)
	}
	created := time.Date(2020, 4, 30, 12, 0, 0, 0, domain.ChinaTime)
	lines := []struct {
		platform, sku string
		amount        domain.Fen
	}{
		{"douyin", "1747203364827180", 12800}, {"douyin", "1747203364827180", -6400},
		{"jd", "100012043978", 10980}, {"jd", "100012043978", 5990}, {"jd", "100012043978", -5990},
		{"kuaishou", "2168351009120", 7960},
		{"file", "832-FLW-0107", 26700}, {"file", "832-FLW-0107", 8900}, {"file", "832-FLW-0107", -8900},
	}
	got := map[string]domain.Fen{}
	for _, l := range lines {
		shares, err := domain.AttributeLine(l.amount, reg.ListingAt(l.platform, l.sku, created))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shares {
			got[string(s.Kind)+":"+s.PartyID] += s.AmountFen
		}
	}
	want := map[string]domain.Fen{
		"household:H-0001": 3979, "household:H-0002": 3384, "household:H-0003": 3385,
		"household:H-0004": 10680, "household:H-0005": 4378,
		"collective:V-PINGHU": 869, "collective:V-PULIU": 2670, "collective:V-KENGPING": 1194,
		"enterprise:E-HELPER": 8151, "enterprise:E-GARDEN": 13350,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %d fen, want %d", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parties: got %v, want %v", got, want)
	}
}

func TestListingAt(t *testing.T) {
	reg := domain.NewRegistry()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, from := range []string{"2020-05-01T00:00:00+08:00", "2020-01-01T00:00:00+08:00"} {
		reg.PutListing(domain.Listing{Platform: "jd", SKUID: "1", EffectiveFrom: at(from), Name: from})
	}
	tests := []struct{ at, want string }{
		{"2019-12-31T23:59:59+08:00", ""},
		{"2020-01-01T00:00:00+08:00", "2020-01-01T00:00:00+08:00"},
		{"2020-04-30T23:59:59+08:00", "2020-01-01T00:00:00+08:00"},
		{"2020-04-30T16:00:00Z", "2020-05-01T00:00:00+08:00"},
	}
	for _, tt := range tests {
		l := reg.ListingAt("jd", "1", at(tt.at))
		got := ""
		if l != nil {
			got = l.Name
		}
		if got != tt.want {
			t.Errorf("ListingAt(%s) = %q, want %q", tt.at, got, tt.want)
		}
	}
	if reg.ListingAt("douyin", "1", at("2021-01-01T00:00:00Z")) != nil {
		t.Error("a listing of another platform matched")
	}
}
