package console_test

import (
	"testing"

	"github.com/loquat-dev/loquat/projections"
)

// TestScopedOverview: an enterprise or village account still starts at
// its own page, and its 总览 (linked from the navigation, at /overview)
// shows the API's overview for that account — its own sales — to the fen:
// figures, daily trend and platforms; the count below the line only for
// the village, which sees its households' flags.
func TestScopedOverview(t *testing.T) {
	base := startServer(t, true)
	browser := newBrowser(t)
	var district projections.Overview
	admin := newTab(t, browser, base)
	admin.signIn(accounts[0], "/")
	admin.api("/api/v1/overview", &district)
	for _, tc := range []struct {
		account   account
		landing   string
		belowLine bool
	}{
		{accounts[3], "/enterprises/E-HELPER", false},
		{accounts[4], "/villages/V-PINGHU", true},
	} {
		t.Run(tc.account.name, func(t *testing.T) {
			tb := newTab(t, browser, base)
			tb.signIn(tc.account, "/")
			if loc := tb.location(); loc != tc.landing {
				t.Errorf("signed in, / landed on %s, want %s", loc, tc.landing)
			}
			var href string
			tb.eval(`(() => { const a = [...document.querySelectorAll('nav a')].find(a => a.textContent.trim() === '总览'); return a ? a.getAttribute('href') : ''; })()`, &href)
			if href != "/overview" {
				t.Fatalf("the navigation links 总览 to %q, want /overview", href)
			}
			tb.open(href)
			var ov projections.Overview
			tb.api("/api/v1/overview", &ov)
			if ov.GMVFen == 0 || ov.GMVFen == district.GMVFen {
				t.Fatalf("the API's overview for %s has %d fen of GMV, the district's %d: want its own, non-zero", tc.account.name, ov.GMVFen, district.GMVFen)
			}
			equal(t, "gmv_fen", tb.fen(`[data-field=gmv_fen]`), int64(ov.GMVFen))
			equal(t, "net_fen", tb.fen(`[data-field=net_fen]`), int64(ov.NetFen))
			equal(t, "orders", tb.count(`[data-field=orders]`), ov.Orders)
			equal(t, "households_reached", tb.count(`[data-field=households_reached]`), ov.HouseholdsReached)
			var days []string
			var gmv, net, pgmv []int64
			for _, d := range ov.ByDay {
				days, gmv, net = append(days, d.Date), append(gmv, int64(d.GMVFen)), append(net, int64(d.NetFen))
			}
			trend := tb.chart("chart-trend")
			equalSlices(t, "trend days", trend.XAxis[0].Data, days)
			equalSlices(t, "trend GMV per day", trend.series(0), gmv)
			equalSlices(t, "trend net per day", trend.series(1), net)
			for _, p := range ov.ByPlatform {
				pgmv = append(pgmv, int64(p.GMVFen))
			}
			equalSlices(t, "GMV by platform", tb.chart("chart-platforms").series(0), pgmv)
			var hasBelow bool
			tb.eval(`document.getElementById('below-line') !== null`, &hasBelow)
			if hasBelow != tc.belowLine {
				t.Errorf("the below-the-line count is shown: %t, want %t", hasBelow, tc.belowLine)
			}
			if tc.belowLine {
				var below projections.Page[projections.HouseholdSummary]
				tb.api("/api/v1/households?below_line=true", &below)
				equal(t, "households below the line", tb.count(`#below-line`), int64(below.Total))
			}
			// The weekly trend stays on this page and holds the same GMV.
			tb.open("/overview?bucket=week")
			var sum int64
			for _, v := range tb.chart("chart-trend").series(0) {
				sum += v
			}
			equal(t, "weekly trend GMV total", sum, int64(ov.GMVFen))
		})
	}
}
