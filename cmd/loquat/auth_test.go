package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// demoAccount is one account line `loquat demo` prints.
type demoAccount struct{ role, scope, user, password, token string }

var accountLine = regexp.MustCompile(`role (\w+)(?::(\S+))?\s+user (\S+)\s+password (\S+)\s+Authorization: Bearer (\S+)`)

// demoAccounts waits for the demo to print its accounts and returns them by role.
func demoAccounts(t *testing.T, p *proc) map[string]demoAccount {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.output(), "Ctrl-C stops the demo.") {
		if time.Now().After(deadline) {
			t.Fatalf("the demo printed no accounts:\n%s", p.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	out := map[string]demoAccount{}
	for _, m := range accountLine.FindAllStringSubmatch(p.output(), -1) {
		out[m[1]] = demoAccount{role: m[1], scope: m[2], user: m[3], password: m[4], token: m[5]}
	}
	for _, role := range []string{"district_admin", "district_staff", "enterprise", "village", "auditor"} {
		if out[role].token == "" {
			t.Fatalf("the demo printed no %s account:\n%s", role, p.output())
		}
	}
	return out
}

// bearerTransport adds a token to every request of http.DefaultClient, for
// helpers (samples.GetJSON) that use it.
type bearerTransport struct{ token string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// withBearer makes http.DefaultClient send token until the test ends.
func withBearer(t *testing.T, token string) {
	old := http.DefaultClient.Transport
	http.DefaultClient.Transport = bearerTransport{token}
	t.Cleanup(func() { http.DefaultClient.Transport = old })
}

// api is the demo's API as one caller sees it.
type api struct {
	t     *testing.T
	base  string
	token string
	// logged counts this caller's authenticated requests to access-logged routes.
	logged *int
}

func (a api) get(path string) (int, []byte) {
	a.t.Helper()
	req, err := http.NewRequest("GET", a.base+path, nil)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		a.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	if a.logged != nil && resp.StatusCode != http.StatusUnauthorized &&
		(strings.HasPrefix(path, "/api/v1/households") || strings.HasPrefix(path, "/api/v1/dead-letters") || strings.HasPrefix(path, "/api/v1/conflicts")) {
		*a.logged++
	}
	return resp.StatusCode, body
}

// want asserts the status and returns the body decoded.
func (a api) want(status int, path string, out any) []byte {
	a.t.Helper()
	got, body := a.get(path)
	if got != status {
		a.t.Errorf("GET %s: %d, want %d: %.200s", path, got, status, body)
		return nil
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			a.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return body
}

// jsonEqual compares two answers as JSON values.
func jsonEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil {
		t.Errorf("%s: not JSON: %.200s / %.200s", what, got, want)
		return
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("%s differs from the unscoped answer:\n got %.400s\nwant %.400s", what, gb, wb)
	}
}

// forbiddenToEnterprise are the fields an enterprise account must never
// see (DESIGN.md: never a household's baseline, other income, per-capita
// figure or monitoring status; nor dead letters' raw bytes).
var forbiddenToEnterprise = []string{"baseline_income_fen", "recorded_income_fen", "income_gain_fen", "income_by_category", "trailing_365d_income_fen",
	"per_capita_income_fen", "monitoring_line_fen", "below_monitoring_line", "category", "members", "raw", "raw_base64"}

// fieldNames collects every object key in a JSON answer, at any depth.
func fieldNames(body []byte) map[string]bool {
	var v any
	json.Unmarshal(body, &v)
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out[k] = true
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

type figs struct {
	GMV int64 `json:"gmv_fen"`
	Net int64 `json:"net_fen"`
}

type entSummary struct {
	figs
	Orders    int64 `json:"orders"`
	ByVillage []struct {
		VillageID  string `json:"village_id"`
		Net        int64  `json:"net_fen"`
		Households int64  `json:"households_fen"`
		Collective int64  `json:"collective_fen"`
	} `json:"by_village"`
	Livestreams []struct {
		ID string `json:"livestream_id"`
		figs
		Orders int64 `json:"orders"`
	} `json:"livestreams"`
}

type idPage struct {
	Items []struct {
		HouseholdID  string `json:"household_id"`
		VillageID    string `json:"village_id"`
		EnterpriseID string `json:"enterprise_id"`
		ID           string `json:"id"`
		Attributed   int64  `json:"attributed_sales_fen"`
		Collective   int64  `json:"collective_income_fen"`
		ProductSales int64  `json:"product_sales_fen"`
		figs
		Orders int64 `json:"orders"`
	} `json:"items"`
	Total int `json:"total"`
}

func usersCmd(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(binary, append([]string{"--data-dir", dir, "users"}, args...)...).CombinedOutput()
	return string(out), err
}

var tokenOut = regexp.MustCompile(`Token (tok_\S+) .*\n(lqt_\S+)`)

// TestAccessMatrix runs `loquat demo` (SQLite) and asks every endpoint as
// every role the demo creates, for in-scope and out-of-scope ids.
func TestAccessMatrix(t *testing.T) {
	dir := t.TempDir()
	p := start(t, nil, "--data-dir", dir, "demo", "--addr", "127.0.0.1:0", "--day", "2020-04-30", "--orders", "400", "--keep")
	base := p.waitURL(t, 3*time.Minute)
	acc := demoAccounts(t, p)
	logged := 0
	as := func(role string) api { return api{t: t, base: base, token: acc[role].token, logged: &logged} }
	admin := as("district_admin")

	// The ids of every kind, from the unscoped answers.
	var households, villages, enterprises, livestreams idPage
	admin.want(200, "/api/v1/households?limit=10000", &households)
	admin.want(200, "/api/v1/villages?limit=10000", &villages)
	admin.want(200, "/api/v1/enterprises", &enterprises)
	admin.want(200, "/api/v1/livestreams?limit=10000", &livestreams)
	if households.Total != 360 || villages.Total != 12 || enterprises.Total != 4 || livestreams.Total < 2 {
		t.Fatalf("demo: %d households, %d villages, %d enterprises, %d livestreams", households.Total, villages.Total, enterprises.Total, livestreams.Total)
	}
	var paths []string // every endpoint with every id
	paths = append(paths, "/api/v1/overview", "/api/v1/households", "/api/v1/enterprises", "/api/v1/villages", "/api/v1/livestreams",
		"/api/v1/unattributed", "/api/v1/dead-letters", "/api/v1/conflicts")
	for _, h := range households.Items {
		paths = append(paths, "/api/v1/households/"+h.HouseholdID)
	}
	for _, v := range villages.Items {
		paths = append(paths, "/api/v1/villages/"+v.VillageID, "/api/v1/households?limit=10000&village_id="+v.VillageID)
	}
	for _, e := range enterprises.Items {
		paths = append(paths, "/api/v1/enterprises/"+e.EnterpriseID)
	}
	for _, l := range livestreams.Items {
		paths = append(paths, "/api/v1/livestreams/"+l.ID)
	}
	unscoped := map[string][]byte{}
	for _, path := range paths {
		unscoped[path] = admin.want(200, path, nil)
	}

	t.Run("district roles and auditor see the unscoped answers", func(t *testing.T) {
		for _, role := range []string{"district_staff", "auditor"} {
			c := as(role)
			for _, path := range paths {
				if role == "auditor" && (path == "/api/v1/dead-letters" || path == "/api/v1/conflicts") {
					c.want(403, path, nil)
					continue
				}
				jsonEqual(t, role+" "+path, c.want(200, path, nil), unscoped[path])
			}
		}
		as("district_staff").want(403, "/api/v1/access-log", nil)
	})

	t.Run("village", func(t *testing.T) {
		c, v := as("village"), acc["village"].scope
		for _, path := range paths {
			switch {
			case path == "/api/v1/villages/"+v || path == "/api/v1/households?limit=10000&village_id="+v:
				jsonEqual(t, "village "+path, c.want(200, path, nil), unscoped[path])
			case path == "/api/v1/households":
				// Its own households only, in full: the unscoped list filtered to it.
				jsonEqual(t, "village "+path, c.want(200, "/api/v1/households?limit=10000", nil), unscoped["/api/v1/households?limit=10000&village_id="+v])
			case path == "/api/v1/villages":
				var got idPage
				c.want(200, path, &got)
				if got.Total != 1 || len(got.Items) != 1 || got.Items[0].VillageID != v {
					t.Errorf("village list: %+v, want only %s", got, v)
				}
			case strings.HasPrefix(path, "/api/v1/households/"):
				var h struct {
					VillageID string `json:"village_id"`
				}
				json.Unmarshal(unscoped[path], &h)
				if h.VillageID == v {
					jsonEqual(t, "village "+path, c.want(200, path, nil), unscoped[path])
				} else {
					c.want(404, path, nil)
				}
			case strings.HasPrefix(path, "/api/v1/villages/"), strings.HasPrefix(path, "/api/v1/households?"):
				c.want(404, path, nil)
			case path == "/api/v1/overview":
				// The overview of its listings' sales: its product sales.
				var got figs
				var want struct {
					ProductSales int64 `json:"product_sales_fen"`
				}
				c.want(200, path, &got)
				json.Unmarshal(unscoped["/api/v1/villages/"+v], &want)
				if got.Net != want.ProductSales {
					t.Errorf("overview as village %s: net %d, want its product sales %d", v, got.Net, want.ProductSales)
				}
			default: // district-wide, enterprises', livestreams', dead letters
				c.want(403, path, nil)
			}
		}
		c.want(403, "/api/v1/access-log", nil)
	})

	t.Run("enterprise", func(t *testing.T) { checkEnterprise(t, as("enterprise"), acc["enterprise"].scope, paths, unscoped) })

	t.Run("no, malformed, expired, revoked and disabled credentials answer 401", func(t *testing.T) {
		out, err := usersCmd(t, dir, "token", "staff", "--name", "short", "--ttl", "1s")
		m := tokenOut.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("users token: %v\n%s", err, out)
		}
		expiring := m[2]
		out, err = usersCmd(t, dir, "token", "auditor", "--name", "script")
		m = tokenOut.FindStringSubmatch(out)
		if err != nil || m == nil {
			t.Fatalf("users token: %v\n%s", err, out)
		}
		revokedID, revoked := m[1], m[2]
		api{t: t, base: base, token: revoked}.want(200, "/api/v1/overview", nil)
		if out, err := usersCmd(t, dir, "token", "--revoke", revokedID); err != nil {
			t.Fatalf("revoke: %v\n%s", err, out)
		}
		if out, err := usersCmd(t, dir, "disable", "staff"); err != nil {
			t.Fatalf("disable: %v\n%s", err, out)
		}
		time.Sleep(1100 * time.Millisecond) // the 1s token expires
		all := append(slices.Clone(paths), "/api/v1/access-log", "/api/v1/session")
		for name, token := range map[string]string{"none": "", "malformed": "lqt_not-a-token", "expired": expiring,
			"revoked": revoked, "of a disabled account": acc["district_staff"].token, "truncated": acc["district_admin"].token[:20]} {
			c := api{t: t, base: base, token: token}
			for _, path := range all {
				if got, _ := c.get(path); got != http.StatusUnauthorized {
					t.Errorf("%s token: GET %s answers %d, want 401", name, path, got)
				}
			}
		}
		for _, open := range []string{"/healthz", "/readyz", "/metrics"} {
			if got, _ := (api{t: t, base: base}).get(open); got != http.StatusOK {
				t.Errorf("GET %s without a token answers %d, want 200", open, got)
			}
		}
	})

	t.Run("the access log holds every household-level read", func(t *testing.T) {
		var log struct {
			Items []struct {
				Account string `json:"account"`
				Path    string `json:"path"`
			} `json:"items"`
			Total int `json:"total"`
		}
		want := logged
		as("auditor").want(200, "/api/v1/access-log?limit=10000", &log)
		if log.Total != want {
			t.Errorf("access log: %d entries, want %d (one per authenticated household-level or dead-letter read)", log.Total, want)
		}
		for _, e := range log.Items {
			if !strings.HasPrefix(e.Path, "/api/v1/households") && e.Path != "/api/v1/dead-letters" && e.Path != "/api/v1/conflicts" {
				t.Errorf("access log entry for %s: only household-level reads and dead letters are logged", e.Path)
			}
		}
		as("enterprise").want(403, "/api/v1/access-log", nil)
	})
	p.stop(t)
}

// checkEnterprise: the enterprise's own answers equal the unscoped ones;
// its villages, livestreams and households are its own sales' figures,
// equal to the fen to its unscoped summary's breakdowns; everything else
// is 404 or 403; no answer holds a field it must not see.
func checkEnterprise(t *testing.T, c api, e string, paths []string, unscoped map[string][]byte) {
	var sum entSummary
	json.Unmarshal(unscoped["/api/v1/enterprises/"+e], &sum)
	if len(sum.ByVillage) == 0 || len(sum.Livestreams) == 0 {
		t.Fatalf("enterprise %s has no villages or livestreams: %s", e, unscoped["/api/v1/enterprises/"+e])
	}
	villages := map[string]int{}
	var householdsFen int64
	for i, v := range sum.ByVillage {
		villages[v.VillageID] = i
		householdsFen += v.Households
	}
	streams := map[string]int{}
	for i, l := range sum.Livestreams {
		streams[l.ID] = i
	}
	var shares idPage
	c.want(200, "/api/v1/households?limit=10000", &shares)
	reached := map[string]int64{}
	var sharesFen int64
	for _, h := range shares.Items {
		reached[h.HouseholdID] = h.Attributed
		sharesFen += h.Attributed
		if _, ok := villages[h.VillageID]; !ok {
			t.Errorf("household %s of village %s is listed, but %s sold nothing of that village", h.HouseholdID, h.VillageID, e)
		}
	}
	if sharesFen != householdsFen || len(shares.Items) != shares.Total || shares.Total == 0 {
		t.Errorf("households' shares of %s's sales add up to %d fen over %d rows (total %d), want %d (its by_village households_fen)",
			e, sharesFen, len(shares.Items), shares.Total, householdsFen)
	}
	c.want(403, "/api/v1/households?below_line=true", nil)
	for _, path := range paths {
		id := path[strings.LastIndex(path, "/")+1:]
		var body []byte
		switch {
		case path == "/api/v1/enterprises/"+e:
			body = c.want(200, path, nil)
			jsonEqual(t, "enterprise "+path, body, unscoped[path])
		case path == "/api/v1/enterprises":
			var got idPage
			body = c.want(200, path, &got)
			if got.Total != 1 || got.Items[0].EnterpriseID != e {
				t.Errorf("enterprise list %s, want only %s", body, e)
			}
		case path == "/api/v1/villages":
			var got idPage
			body = c.want(200, path, &got)
			if got.Total != len(villages) {
				t.Errorf("village list %s, want %d villages", body, len(villages))
			}
		case path == "/api/v1/livestreams":
			var got idPage
			body = c.want(200, path, &got)
			for _, l := range got.Items {
				i, ok := streams[l.ID]
				if !ok || sum.Livestreams[i].figs != l.figs || sum.Livestreams[i].Orders != l.Orders {
					t.Errorf("livestream %s in the list: %+v %d orders, want its sales %+v", l.ID, l.figs, l.Orders, sum.Livestreams[i])
				}
			}
			if got.Total != len(streams) {
				t.Errorf("%d livestreams listed, want %s's %d", got.Total, e, len(streams))
			}
		case path == "/api/v1/households":
			continue // above
		case strings.HasPrefix(path, "/api/v1/villages/"):
			i, ok := villages[id]
			if !ok {
				c.want(404, path, nil)
				continue
			}
			body = c.want(200, path, nil)
			var v struct {
				Attributed   int64 `json:"attributed_sales_fen"`
				Collective   int64 `json:"collective_income_fen"`
				ProductSales int64 `json:"product_sales_fen"`
			}
			json.Unmarshal(body, &v)
			want := sum.ByVillage[i]
			if v.ProductSales != want.Net || v.Collective != want.Collective || v.Attributed != want.Households {
				t.Errorf("village %s as %s sees it: %+v, want product sales %d, collective %d, households %d", id, e, v, want.Net, want.Collective, want.Households)
			}
		case strings.HasPrefix(path, "/api/v1/households?"):
			// Out of its villages the list is empty, never another's rows.
			vid := path[strings.LastIndex(path, "=")+1:]
			var got idPage
			body = c.want(200, path, &got)
			for _, h := range got.Items {
				if _, ok := reached[h.HouseholdID]; !ok || h.VillageID != vid {
					t.Errorf("%s lists %s (village %s)", path, h.HouseholdID, h.VillageID)
				}
			}
		case strings.HasPrefix(path, "/api/v1/households/"):
			share, ok := reached[id]
			if !ok {
				c.want(404, path, nil)
				continue
			}
			var h struct {
				Attributed int64  `json:"attributed_sales_fen"`
				ByProduct  []figs `json:"by_product"`
			}
			body = c.want(200, path, nil)
			json.Unmarshal(body, &h)
			var products int64
			for _, p := range h.ByProduct {
				products += p.Net
			}
			if h.Attributed != share || products != share {
				t.Errorf("household %s: share %d, by product %d, want %d as listed", id, h.Attributed, products, share)
			}
		case strings.HasPrefix(path, "/api/v1/livestreams/"):
			i, ok := streams[id]
			if !ok {
				c.want(404, path, nil)
				continue
			}
			var got struct {
				figs
				Orders int64 `json:"orders"`
			}
			body = c.want(200, path, nil)
			json.Unmarshal(body, &got)
			if got.figs != sum.Livestreams[i].figs || got.Orders != sum.Livestreams[i].Orders {
				t.Errorf("livestream %s as %s sees it: %+v %d orders, want %+v", id, e, got.figs, got.Orders, sum.Livestreams[i])
			}
		case strings.HasPrefix(path, "/api/v1/enterprises/"):
			c.want(404, path, nil)
			continue
		case path == "/api/v1/overview":
			// The overview of its own sales: its summary's figures.
			var got struct {
				figs
				Orders int64 `json:"orders"`
			}
			body = c.want(200, path, nil)
			json.Unmarshal(body, &got)
			if got.figs != sum.figs || got.Orders != sum.Orders {
				t.Errorf("overview as %s: %+v %d orders, want its own sales %+v %d orders", e, got.figs, got.Orders, sum.figs, sum.Orders)
			}
		default: // unattributed, dead letters
			c.want(403, path, nil)
			continue
		}
		for name := range fieldNames(body) {
			if slices.Contains(forbiddenToEnterprise, name) {
				t.Errorf("GET %s as an enterprise shows %q", path, name)
			}
		}
	}
}
