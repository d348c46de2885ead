package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/testenv"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// password is every test account's password.
const password = "console test password"

// account is a test account: its role and what it is bound to.
type account struct {
	name, enterpriseID, villageID string
	role                          auth.Role
}

var accounts = []account{
	{name: "admin", role: auth.RoleDistrictAdmin},
	{name: "staff", role: auth.RoleDistrictStaff},
	{name: "auditor", role: auth.RoleAuditor},
	{name: "helper", role: auth.RoleEnterprise, enterpriseID: "E-HELPER"},
	{name: "pinghu", role: auth.RoleVillage, villageID: "V-PINGHU"},
}

// startServer serves the API and the console, as loquat serve does, over
// a real SQLite read model holding the samples projected by the real
// projector; with accounts when withAuth.
func startServer(t *testing.T, withAuth bool) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(dir, "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Feed{Registry: reg, Events: events}.Project(t, store, 0)
	opts := api.Options{Queries: &projections.Queries{Store: store}}
	if withAuth {
		svc, err := auth.Open(ctx, auth.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		for _, a := range accounts {
			if err := svc.AddAccount(ctx, auth.NewAccount{Name: a.name, Role: a.role, EnterpriseID: a.enterpriseID,
				VillageID: a.villageID, Password: password}); err != nil {
				t.Fatal(err)
			}
		}
		opts.Auth = svc
	}
	r, err := api.NewRouter(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// newBrowser starts headless Chromium for the test; each tab it opens
// (browser.tab) has its own cookies.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900))
	alloc, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(alloc)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatalf("start %s: %v", exe, err)
	}
	return ctx
}

// tab is one browser context (its own cookies) on the server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newTab(t *testing.T, browser context.Context, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// A bound on each test's browser work, so that a page that never
	// settles fails the test instead of hanging it (not an assertion on time).
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	tb := &tab{t: t, ctx: ctx, base: base}
	t.Cleanup(tb.screenshotOnFailure)
	return tb
}

func (tb *tab) run(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// screenshotOnFailure writes the page as it stood to testdata/out.
func (tb *tab) screenshotOnFailure() {
	if !tb.t.Failed() {
		return
	}
	png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Logf("no screenshot: %v", err)
		return
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(tb.t.Name(), "_") + ".png"
	path, _ := filepath.Abs(filepath.Join("testdata", "out", name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		tb.t.Logf("no screenshot: %v", err)
		return
	}
	tb.t.Logf("screenshot of the failing page: %s", path)
}

// open loads a console page and waits for console.js to have drawn it.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.run(chromedp.Navigate(tb.base+path), chromedp.WaitReady(`body[data-ready="true"]`))
}

// location is the page's path and query.
func (tb *tab) location() string {
	tb.t.Helper()
	var loc string
	tb.eval(`location.pathname + location.search`, &loc)
	return loc
}

func (tb *tab) eval(js string, out any) {
	tb.t.Helper()
	raw, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("browser: %s: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		tb.t.Fatalf("browser: %s gave %s: %v", js, raw, err)
	}
}

// signIn signs in through the console's sign-in form, from a page that
// needs it, and checks it comes back to that page.
func (tb *tab) signIn(a account, path string) {
	tb.t.Helper()
	tb.open(path)
	if loc := tb.location(); !strings.HasPrefix(loc, "/sign-in?next=") {
		tb.t.Fatalf("signed out, %s landed on %s, want the sign-in page", path, loc)
	}
	tb.submitSignIn(a.name, password)
	tb.waitFor(`location.pathname !== '/sign-in' || document.querySelector('#sign-in .error').textContent !== ''`)
	var msg string
	tb.eval(`location.pathname === '/sign-in' ? document.querySelector('#sign-in .error').textContent : ''`, &msg)
	if msg != "" {
		tb.t.Fatalf("sign-in as %s refused: %s", a.name, msg)
	}
	tb.waitFor(`document.body && document.body.dataset.ready === 'true'`)
}

// submitSignIn fills the sign-in form and submits it as a click on its
// button would (console.js posts it to /api/v1/session).
func (tb *tab) submitSignIn(user, pass string) {
	tb.t.Helper()
	var ok bool
	tb.eval(fmt.Sprintf(`(() => { const f = document.getElementById('sign-in'); f.user.value = %q; f.password.value = %q;
		f.requestSubmit(); return true; })()`, user, pass), &ok)
}

// waitFor polls a JavaScript condition until it holds (across page
// loads, which a DOM query does not follow); the tab's context bounds it.
func (tb *tab) waitFor(cond string) {
	tb.t.Helper()
	for {
		ok, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+cond+`); } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		if tb.ctx.Err() != nil {
			tb.t.Fatalf("waiting for %s: %v", cond, tb.ctx.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// api answers the API's GET path as the tab's session sees it: fetched
// from the page, with its cookie.
func (tb *tab) api(path string, out any) {
	tb.t.Helper()
	var raw string
	tb.eval(fmt.Sprintf(`fetch(%q).then(r => r.ok ? r.text() : Promise.reject(new Error(r.status + ' ' + r.url)))`, path), &raw)
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		tb.t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
}

// status is the HTTP status of a GET of path with the tab's session.
func (tb *tab) status(path string) int {
	tb.t.Helper()
	var st int
	tb.eval(fmt.Sprintf(`fetch(%q, {redirect: 'manual'}).then(r => r.status)`, path), &st)
	return st
}

// fen reads the data-fen of the .money in the element sel selects.
func (tb *tab) fen(sel string) int64 {
	tb.t.Helper()
	var v struct {
		Fen  string `json:"fen"`
		Text string `json:"text"`
	}
	tb.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); const m = el && (el.matches('.money') ? el : el.querySelector('.money'));
		return m ? {fen: m.dataset.fen, text: m.textContent} : {fen: 'missing', text: ''}; })()`, sel), &v)
	var n int64
	if _, err := fmt.Sscan(v.Fen, &n); err != nil {
		tb.t.Fatalf("%s: no data-fen (%q)", sel, v.Fen)
	}
	if want := yuanOf(n); v.Text != want {
		tb.t.Errorf("%s shows %q for %d fen, want %q", sel, v.Text, n, want)
	}
	return n
}

// count reads the data-count in the element sel selects.
func (tb *tab) count(sel string) int64 {
	tb.t.Helper()
	var s string
	tb.eval(fmt.Sprintf(`(() => { const el = document.querySelector(%q); const c = el && (el.dataset.count !== undefined ? el : el.querySelector('[data-count]'));
		return c ? c.dataset.count : 'missing'; })()`, sel), &s)
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		tb.t.Fatalf("%s: no data-count (%q)", sel, s)
	}
	return n
}

// rowIDs are the data-id of the rows of a table's body.
func (tb *tab) rowIDs(table string) []string {
	tb.t.Helper()
	var ids []string
	tb.eval(fmt.Sprintf(`[...document.querySelectorAll('%s tbody tr[data-id]')].map(r => r.dataset.id)`, table), &ids)
	return ids
}

// rowFen reads the data-fen of one row's cell data-field=field.
func (tb *tab) rowFen(table, id, field string) int64 {
	tb.t.Helper()
	return tb.fen(fmt.Sprintf(`%s tbody tr[data-id=%q] [data-field=%q]`, table, id, field))
}

// chartOption is the part of an ECharts option the tests compare.
type chartOption struct {
	XAxis []struct {
		Data []string `json:"data"`
	} `json:"xAxis"`
	Series []struct {
		Name string    `json:"name"`
		Data []float64 `json:"data"`
	} `json:"series"`
}

// chart reads a chart's option from ECharts itself: the chart was drawn.
func (tb *tab) chart(id string) chartOption {
	tb.t.Helper()
	var raw string
	tb.eval(fmt.Sprintf(`(() => { const c = echarts.getInstanceByDom(document.getElementById(%q)); return c ? JSON.stringify(c.getOption()) : ''; })()`, id), &raw)
	if raw == "" {
		tb.t.Fatalf("chart #%s was not drawn", id)
	}
	var out chartOption
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		tb.t.Fatalf("chart #%s: %v", id, err)
	}
	return out
}

// series is a chart series' data as integers (fen or counts).
func (o chartOption) series(i int) []int64 {
	if i >= len(o.Series) {
		return nil
	}
	out := make([]int64, len(o.Series[i].Data))
	for j, v := range o.Series[i].Data {
		out[j] = int64(v)
	}
	return out
}

// yuanOf is what the console shows for fen, written independently of the
// console's own formatter.
func yuanOf(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	digits := fmt.Sprint(fen / 100)
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, b.String(), fen%100)
}
