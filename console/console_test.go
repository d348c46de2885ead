package console_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/loquat-dev/loquat/projections"
)

// TestConsoleRoles signs in as each role through the sign-in page and
// opens every page the role may see in headless Chromium: each renders
// its charts, and every figure on it (data-fen beside the yuan shown,
// counts, chart options read back from ECharts) equals the API's answer to
// the same session, to the fen. Pages out of the role's scope answer 404
// or 403.
func TestConsoleRoles(t *testing.T) {
	base := startServer(t, true)
	browser := newBrowser(t)
	const livestream = "douyin:6823941120781224715"
	type refused struct {
		path   string
		status int
	}
	cases := []struct {
		account account
		// landing is where / takes the role.
		landing string
		check   func(t *testing.T, tb *tab)
		refused []refused
	}{
		{account: accounts[0], landing: "/", check: func(t *testing.T, tb *tab) {
			checkOverview(t, tb)
			ids := checkLivestreams(t, tb)
			if len(ids) == 0 {
				t.Fatal("no livestreams in the fixture")
			}
			checkLivestream(t, tb, livestream)
			checkEnterprise(t, tb, "E-HELPER")
			checkEnterprise(t, tb, "E-GARDEN")
			checkVillage(t, tb, "V-PINGHU")
			checkHouseholds(t, tb, "village_id=V-PINGHU", "below_line=true")
			checkHousehold(t, tb, "H-0002")
			checkQuality(t, tb)
		}, refused: []refused{{"/enterprises/E-NOSUCH", 404}, {"/households/H-9999", 404}, {"/no-such-page", 404}}},
		{account: accounts[1], landing: "/", check: func(t *testing.T, tb *tab) {
			checkOverview(t, tb)
			checkLivestream(t, tb, livestream)
			checkVillage(t, tb, "V-PULIU")
			checkHousehold(t, tb, "H-0004")
			checkQuality(t, tb)
		}},
		{account: accounts[2], landing: "/", check: func(t *testing.T, tb *tab) {
			checkOverview(t, tb)
			checkEnterprise(t, tb, "E-GARDEN")
			checkHouseholds(t, tb)
			checkQuality(t, tb) // unattributed SKUs, not the dead letters
		}},
		{account: accounts[3], landing: "/enterprises/E-HELPER", check: func(t *testing.T, tb *tab) {
			checkEnterprise(t, tb, "E-HELPER")
			checkLivestreams(t, tb)
			checkLivestream(t, tb, livestream)
			checkVillage(t, tb, "V-PINGHU")
			checkHouseholds(t, tb)
			// A household as an enterprise sees it: its share of the
			// enterprise's sales, never its income, flags or a link to its page.
			var leaked []string
			tb.eval(`[...document.querySelectorAll('#households [data-field]:not([data-field=attributed_sales_fen]), #households [data-below], #households a')].map(e => e.outerHTML)`, &leaked)
			if len(leaked) > 0 {
				t.Errorf("the enterprise's households page shows more than shares: %v", leaked)
			}
		}, refused: []refused{
			{"/enterprises/E-GARDEN", 404}, // another enterprise
			{"/villages/V-PULIU", 404},     // not a paired village
			{"/households/H-0001", 403},    // a household's full page
			{"/quality", 403},
		}},
		{account: accounts[4], landing: "/villages/V-PINGHU", check: func(t *testing.T, tb *tab) {
			checkVillage(t, tb, "V-PINGHU")
			checkHouseholds(t, tb, "below_line=true")
			checkHousehold(t, tb, "H-0001")
		}, refused: []refused{
			{"/villages/V-PULIU", 404},
			{"/households/H-0004", 404}, // another village's household
			{"/enterprises/E-HELPER", 403},
			{"/livestreams", 403},
			{"/quality", 403},
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.account.role), func(t *testing.T) {
			tb := newTab(t, browser, base)
			tb.signIn(tc.account, "/")
			if loc := tb.location(); loc != tc.landing {
				t.Errorf("signed in, / landed on %s, want %s", loc, tc.landing)
			}
			tc.check(t, tb)
			for _, r := range tc.refused {
				if st := tb.status(r.path); st != r.status {
					t.Errorf("GET %s: %d, want %d", r.path, st, r.status)
				}
				tb.open(r.path)
				var shown string
				tb.eval(`(document.getElementById('error') || {dataset: {}}).dataset.status || ''`, &shown)
				if shown != itoa(r.status) {
					t.Errorf("%s shows error page %q, want %d", r.path, shown, r.status)
				}
			}
		})
	}
}

// TestSignInAndOut: pages redirect to the sign-in page without a session,
// a wrong password is refused on the page, sign-in returns to the page
// asked for, and signing out ends the session.
func TestSignInAndOut(t *testing.T) {
	base := startServer(t, true)
	tb := newTab(t, newBrowser(t), base)
	tb.open("/villages/V-PINGHU?lang=en")
	if loc := tb.location(); !strings.HasPrefix(loc, "/sign-in?next=") {
		t.Fatalf("signed out, the village page landed on %s", loc)
	}
	tb.submitSignIn("admin", "wrong password")
	tb.waitFor(`document.querySelector('#sign-in .error').textContent !== ''`)
	var msg string
	tb.eval(`document.querySelector('#sign-in .error').textContent`, &msg)
	if msg != "Wrong user name or password" {
		t.Errorf("wrong password (English page): %q", msg)
	}
	tb.signIn(accounts[0], "/villages/V-PINGHU")
	if loc := tb.location(); loc != "/villages/V-PINGHU" {
		t.Errorf("signed in, landed on %s, want /villages/V-PINGHU", loc)
	}
	tb.run(chromedp.Click(`#sign-out`))
	tb.waitFor(`location.pathname === '/sign-in' && document.getElementById('sign-in') !== null`)
	if st := tb.status("/api/v1/session"); st != 401 {
		t.Errorf("after sign-out GET /api/v1/session: %d, want 401", st)
	}
	if st := tb.status("/"); st != 303 && st != 0 { // a manual redirect reads as status 0 in fetch
		t.Errorf("after sign-out GET /: %d, want a redirect", st)
	}
}

// TestPhone: the overview and the live room fit a 390-pixel-wide screen
// (no horizontal scroll) with their charts drawn.
func TestPhone(t *testing.T) {
	base := startServer(t, true)
	tb := newTab(t, newBrowser(t), base)
	tb.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	tb.signIn(accounts[0], "/")
	for _, path := range []string{"/", "/livestreams", "/livestreams/douyin:6823941120781224715", "/enterprises/E-HELPER", "/households"} {
		tb.open(path)
		var width, viewport int
		tb.eval(`document.documentElement.scrollWidth`, &width)
		tb.eval(`window.innerWidth`, &viewport)
		if viewport != 390 {
			t.Fatalf("%s: the viewport is %d px wide, want 390", path, viewport)
		}
		if width > 390 {
			t.Errorf("%s: scrollWidth %d > 390: the page scrolls sideways on a phone", path, width)
		}
	}
	tb.open("/")
	if got := tb.chart("chart-trend"); len(got.Series) != 2 {
		t.Errorf("the phone's trend chart has %d series, want 2", len(got.Series))
	}
}

// TestNoAuth: a server without accounts serves every page unscoped, with
// no sign-in.
func TestNoAuth(t *testing.T) {
	base := startServer(t, false)
	tb := newTab(t, newBrowser(t), base)
	tb.open("/")
	if loc := tb.location(); loc != "/" {
		t.Fatalf("without accounts / landed on %s", loc)
	}
	checkOverview(t, tb)
	checkQuality(t, tb)
}

// TestEnglish: ?lang=en switches the page to English and the choice sticks
// (cookie); the figures are the same.
func TestEnglish(t *testing.T) {
	base := startServer(t, false)
	tb := newTab(t, newBrowser(t), base)
	for _, tc := range []struct{ path, lang, nav string }{
		{"/", "zh-CN", "总览"},
		{"/?lang=en", "en", "Overview"},
		{"/enterprises", "en", "Overview"}, // the cookie keeps English
		{"/?lang=zh", "zh-CN", "总览"},
	} {
		tb.open(tc.path)
		var got struct{ Lang, Nav string }
		tb.eval(`({Lang: document.documentElement.lang, Nav: document.querySelector('.top nav a').textContent})`, &got)
		if got.Lang != tc.lang || got.Nav != tc.nav {
			t.Errorf("%s: lang %q nav %q, want %q %q", tc.path, got.Lang, got.Nav, tc.lang, tc.nav)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLiveRerender: a figures message (the body of the page's GET, as
// /api/v1/stream sends it) re-renders the page's figures and charts.
// console.js's handler is fed the API's answer for another period, so
// every figure changes to values the API computed.
func TestLiveRerender(t *testing.T) {
	base := startServer(t, false)
	tb := newTab(t, newBrowser(t), base)
	tb.open("/")
	var all, day projections.Overview
	tb.api("/api/v1/overview", &all)
	tb.api("/api/v1/overview?from=2020-04-30&to=2020-04-30", &day)
	if day.GMVFen == all.GMVFen {
		t.Fatal("the two periods have the same GMV: the test would prove nothing")
	}
	var ok bool
	tb.eval(`fetch('/api/v1/overview?from=2020-04-30&to=2020-04-30').then(r => r.json()).then(b => { applyFigures(b); return true; })`, &ok)
	equal(t, "re-rendered gmv_fen", tb.fen(`[data-field=gmv_fen]`), int64(day.GMVFen))
	equal(t, "re-rendered net_fen", tb.fen(`[data-field=net_fen]`), int64(day.NetFen))
	equal(t, "re-rendered orders", tb.count(`[data-field=orders]`), day.Orders)
	trend := tb.chart("chart-trend")
	var gmv []int64
	var days []string
	for _, d := range day.ByDay {
		days, gmv = append(days, d.Date), append(gmv, int64(d.GMVFen))
	}
	equalSlices(t, "re-rendered trend days", trend.XAxis[0].Data, days)
	equalSlices(t, "re-rendered trend GMV", trend.series(0), gmv)
}
