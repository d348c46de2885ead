package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// startAPI serves the API over a real SQLite read model holding the
// samples, projected through the real projector.
func startAPI(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Feed{Registry: reg, Events: events}.Project(t, store, 0)
	r, err := api.NewRouter(api.Options{Queries: &projections.Queries{Store: store}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// answer is the part of every answer the table checks.
type answer struct {
	Error string            `json:"error"`
	Total int               `json:"total"`
	Items []json.RawMessage `json:"items"`
	// GMVFen is an overview's or a summary's.
	GMVFen *int64 `json:"gmv_fen"`
}

// ids are the ids of a list's items, in order.
func (a answer) ids(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, raw := range a.Items {
		var item map[string]any
		if err := json.Unmarshal(raw, &item); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"household_id", "enterprise_id", "village_id", "id", "sku_id"} {
			if id, ok := item[key].(string); ok {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// TestParameters runs every route with good and bad parameters: good ones
// are applied (filters filter, sorts sort), every bad one answers 400 with
// an error naming the parameter.
func TestParameters(t *testing.T) {
	base := startAPI(t)
	type testCase struct {
		path   string
		status int
		// errHas are strings the error must contain (the parameter named).
		errHas []string
		// ids, when not nil, are the list's item ids in order.
		ids []string
		// total, when not negative, is the list's total.
		total int
		// gmv, when not negative, is the answer's gmv_fen.
		gmv int64
	}
	ok := func(path string) testCase { return testCase{path: path, status: 200, total: -1, gmv: -1} }
	list := func(path string, ids ...string) testCase {
		tc := ok(path)
		tc.ids, tc.total = ids, len(ids)
		return tc
	}
	bad := func(path string, errHas ...string) testCase {
		return testCase{path: path, status: 400, errHas: errHas, total: -1, gmv: -1}
	}
	notFound := func(path string) testCase { return testCase{path: path, status: 404, total: -1, gmv: -1} }
	withGMV := func(tc testCase, gmv int64) testCase { tc.gmv = gmv; return tc }
	withTotal := func(tc testCase, total int) testCase { tc.total = total; return tc }

	allHouseholds := []string{"H-0001", "H-0002", "H-0003", "H-0004", "H-0005"}
	cases := []testCase{
		// overview
		withGMV(ok("/api/v1/overview"), int64(samples.WantGMV)),
		withGMV(ok("/api/v1/overview?from=2020-04-30&to=2020-04-30"), 37730),
		withGMV(ok("/api/v1/overview?to=2020-05-01"), 37730),
		bad("/api/v1/overview?from=2020-13-01", "from=", "not a date"),
		bad("/api/v1/overview?from=2020-4-30", "from=", "not a date"),
		bad("/api/v1/overview?from=20200430", "from=", "not a date"),
		bad("/api/v1/overview?to=garbage", "to=", "not a date"),
		bad("/api/v1/overview?from=2020-05-02&to=2020-05-01", "from=2020-05-02 is after to=2020-05-01"),
		bad("/api/v1/overview?from=2020-04-30&from=2020-05-01", "from is given 2 times"),
		bad("/api/v1/overview?from=", "from is empty"),
		bad("/api/v1/overview?form=2020-04-30", `unknown parameter "form"`, "from, to"),
		bad("/api/v1/overview?limit=10", `unknown parameter "limit"`),
		bad("/api/v1/overview?from=%zz", "malformed"),
		bad("/api/v1/overview?from=x&to=y&frm=z", "from=", "to=", `"frm"`),

		// households list
		list("/api/v1/households", allHouseholds...),
		list("/api/v1/households?village_id=V-PULIU", "H-0004"),
		list("/api/v1/households?village_id=V-PINGHU&sort=-id", "H-0003", "H-0002", "H-0001"),
		list("/api/v1/households?sort=-id", "H-0005", "H-0004", "H-0003", "H-0002", "H-0001"),
		list("/api/v1/households?sort=id", allHouseholds...),
		list("/api/v1/households?sort=-attributed_sales_fen", "H-0004", "H-0005", "H-0001", "H-0003", "H-0002"),
		list("/api/v1/households?sort=attributed_sales_fen", "H-0002", "H-0003", "H-0001", "H-0005", "H-0004"),
		withTotal(list("/api/v1/households?sort=-recorded_income_fen&limit=2", "H-0004", "H-0001"), 5),
		withTotal(list("/api/v1/households?limit=2&offset=1", "H-0002", "H-0003"), 5),
		withTotal(list("/api/v1/households?offset=5"), 5),
		list("/api/v1/households?below_line=true", allHouseholds...),
		list("/api/v1/households?below_line=false"),
		bad("/api/v1/households?village=V-PULIU", `unknown parameter "village"`, "village_id"),
		bad("/api/v1/households?sort=name", `sort="name"`, "income_gain_fen"),
		bad("/api/v1/households?sort=-", "sort="),
		bad("/api/v1/households?sort=id%20desc", "sort="),
		bad("/api/v1/households?below_line=yes", "below_line=", "true or false"),
		bad("/api/v1/households?below_line=1", "below_line=", "true or false"),
		bad("/api/v1/households?limit=0", "limit=", "from 1 to 10000"),
		bad("/api/v1/households?limit=10001", "limit=", "from 1 to 10000"),
		bad("/api/v1/households?limit=ten", "limit="),
		bad("/api/v1/households?offset=-1", "offset=", "non-negative"),
		bad("/api/v1/households?offset=1.5", "offset="),
		bad("/api/v1/households?village_id=V%20PULIU", "village_id=", "spaces"),
		bad("/api/v1/households?village_id="+strings.Repeat("V", 129), "village_id=", "at most 128"),
		notFound("/api/v1/households?village_id=V-NOWHERE"),

		// one household
		ok("/api/v1/households/H-0004?from=2020-04-30"),
		notFound("/api/v1/households/H-9999"),
		bad("/api/v1/households/H-0004?sort=id", `unknown parameter "sort"`),
		bad("/api/v1/households/H-0004?to=2020-02-30", "to=", "not a date"),
		bad("/api/v1/households/H%090004", "id", "spaces or control"),
		bad("/api/v1/households/"+strings.Repeat("H", 200), "id", "at most 128"),

		// enterprises
		list("/api/v1/enterprises", "E-GARDEN", "E-HELPER"),
		list("/api/v1/enterprises?sort=-id", "E-HELPER", "E-GARDEN"),
		list("/api/v1/enterprises?sort=-gmv_fen", "E-HELPER", "E-GARDEN"),
		list("/api/v1/enterprises?sort=enterprise_share_fen", "E-HELPER", "E-GARDEN"),
		withTotal(list("/api/v1/enterprises?from=2020-05-02&to=2020-05-02&limit=1", "E-GARDEN"), 2),
		bad("/api/v1/enterprises?sort=name", `sort="name"`, "gmv_fen"),
		bad("/api/v1/enterprises?village_id=V-PULIU", `unknown parameter "village_id"`),
		withGMV(ok("/api/v1/enterprises/E-GARDEN"), 35600),
		notFound("/api/v1/enterprises/E-NONE"),
		bad("/api/v1/enterprises/E-GARDEN?offset=0", `unknown parameter "offset"`),

		// villages
		list("/api/v1/villages", "V-KENGPING", "V-PINGHU", "V-PULIU"),
		list("/api/v1/villages?sort=-id", "V-PULIU", "V-PINGHU", "V-KENGPING"),
		list("/api/v1/villages?sort=collective_income_fen", "V-PINGHU", "V-KENGPING", "V-PULIU"),
		list("/api/v1/villages?sort=-households", "V-PINGHU", "V-KENGPING", "V-PULIU"),
		bad("/api/v1/villages?sort=town", `sort="town"`, "collective_income_fen"),
		bad("/api/v1/villages?below_line=true", `unknown parameter "below_line"`),
		ok("/api/v1/villages/V-PULIU?to=2020-05-02"),
		notFound("/api/v1/villages/V-NONE"),
		bad("/api/v1/villages/V-PULIU?sort=id", `unknown parameter "sort"`),

		// livestreams
		list("/api/v1/livestreams", "douyin:6823941120781224715", "kuaishou:1887203345"),
		list("/api/v1/livestreams?sort=-id", "kuaishou:1887203345", "douyin:6823941120781224715"),
		bad("/api/v1/livestreams?sort=peak", `sort="peak"`, "gmv_fen"),
		bad("/api/v1/livestreams?room=1", `unknown parameter "room"`),
		ok("/api/v1/livestreams/douyin:6823941120781224715"),
		notFound("/api/v1/livestreams/douyin:1"),
		bad("/api/v1/livestreams/douyin:6823941120781224715?from=garbage", `unknown parameter "from"`, "takes as_of"),
		bad("/api/v1/livestreams/6823941120781224715", "platform:room"),
		bad("/api/v1/livestreams/douyin:", "platform:room"),

		// unattributed and dead letters
		ok("/api/v1/unattributed?from=2020-04-30&limit=10"),
		bad("/api/v1/unattributed?sort=-gmv_fen", `unknown parameter "sort"`),
		withTotal(ok("/api/v1/dead-letters?limit=1&offset=0"), 0),
		bad("/api/v1/dead-letters?from=2020-04-30", `unknown parameter "from"`, "limit, offset"),
		bad("/api/v1/dead-letters?limit=-3", "limit="),
		withTotal(ok("/api/v1/conflicts?limit=1&offset=0"), 0),
		bad("/api/v1/conflicts?from=2020-04-30", `unknown parameter "from"`, "limit, offset"),
		bad("/api/v1/conflicts?sort=-detected_at", `unknown parameter "sort"`),
	}
	// Every list's sort keys are accepted, ascending and descending.
	for path, keys := range map[string][]string{
		"households": projections.HouseholdSortKeys, "enterprises": projections.EnterpriseSortKeys,
		"villages": projections.VillageSortKeys, "livestreams": projections.LivestreamSortKeys,
	} {
		for _, k := range keys {
			cases = append(cases, ok("/api/v1/"+path+"?sort="+k), ok("/api/v1/"+path+"?sort=-"+k))
		}
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			status, got := get(t, base+tc.path)
			if status != tc.status {
				t.Fatalf("GET %s: HTTP %d %+v, want %d", tc.path, status, got, tc.status)
			}
			if tc.status != 200 && got.Error == "" {
				t.Errorf("GET %s: HTTP %d without an error message", tc.path, status)
			}
			for _, want := range tc.errHas {
				if !strings.Contains(got.Error, want) {
					t.Errorf("GET %s: error %q does not contain %q", tc.path, got.Error, want)
				}
			}
			if tc.ids != nil || tc.total == 0 {
				if ids := got.ids(t); strings.Join(ids, ",") != strings.Join(tc.ids, ",") {
					t.Errorf("GET %s: items %v, want %v", tc.path, ids, tc.ids)
				}
			}
			if tc.total >= 0 && got.Total != tc.total {
				t.Errorf("GET %s: total %d, want %d", tc.path, got.Total, tc.total)
			}
			if tc.gmv >= 0 && (got.GMVFen == nil || *got.GMVFen != tc.gmv) {
				t.Errorf("GET %s: gmv_fen %d, want %d", tc.path, deref(got.GMVFen), tc.gmv)
			}
		})
	}
}

func get(t *testing.T, url string) (int, answer) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("GET %s: HTTP %d, not JSON: %s", url, resp.StatusCode, body)
	}
	return resp.StatusCode, a
}

// deref is *p, or -1 for an answer without the field.
func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
