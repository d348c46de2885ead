package console_test

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// sampleRegistry is the registry the server was loaded with, read from the
// same file, for what only the registry knows (paired villages, names).
func sampleRegistry(t *testing.T) *domain.RegistryFile {
	t.Helper()
	reg, err := domain.ParseRegistryFile(samples.File("registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// checkOverview compares the 总览 page with GET /api/v1/overview (and the
// households and villages lists its figures come from), to the fen.
func checkOverview(t *testing.T, tb *tab) {
	tb.open("/")
	var ov projections.Overview
	tb.api("/api/v1/overview", &ov)
	if ov.GMVFen == 0 {
		t.Fatal("the overview has no sales: the fixture is empty")
	}
	equal(t, "overview gmv_fen", tb.fen(`[data-field=gmv_fen]`), int64(ov.GMVFen))
	equal(t, "overview net_fen", tb.fen(`[data-field=net_fen]`), int64(ov.NetFen))
	equal(t, "overview orders", tb.count(`[data-field=orders]`), ov.Orders)
	equal(t, "overview households_reached", tb.count(`[data-field=households_reached]`), ov.HouseholdsReached)
	var below projections.Page[projections.HouseholdSummary]
	tb.api("/api/v1/households?below_line=true", &below)
	equal(t, "households below the line", tb.count(`#below-line`), int64(below.Total))

	trend := tb.chart("chart-trend")
	var gmv, net []int64
	var days []string
	for _, d := range ov.ByDay {
		days, gmv, net = append(days, d.Date), append(gmv, int64(d.GMVFen)), append(net, int64(d.NetFen))
	}
	equalSlices(t, "trend days", trend.XAxis[0].Data, days)
	equalSlices(t, "trend GMV per day", trend.series(0), gmv)
	equalSlices(t, "trend net per day", trend.series(1), net)

	platforms := tb.chart("chart-platforms")
	var pgmv []int64
	for _, p := range ov.ByPlatform {
		pgmv = append(pgmv, int64(p.GMVFen))
	}
	equalSlices(t, "GMV by platform", platforms.series(0), pgmv)

	var vs projections.Page[projections.VillageSummary]
	tb.api("/api/v1/villages?limit=10000", &vs)
	villages := tb.chart("chart-villages")
	var vnames []string
	var vsales []int64
	for _, v := range vs.Items {
		vnames, vsales = append(vnames, v.Name), append(vsales, int64(v.ProductSalesFen))
	}
	equalSlices(t, "villages by name", villages.XAxis[0].Data, vnames)
	equalSlices(t, "village product sales", villages.series(1-1), vsales)

	// Weekly and monthly buckets hold every day's GMV, nothing more.
	for _, bucket := range []string{"week", "month"} {
		tb.open("/?bucket=" + bucket)
		var sum int64
		for _, v := range tb.chart("chart-trend").series(0) {
			sum += v
		}
		equal(t, bucket+"ly trend GMV total", sum, int64(ov.GMVFen))
	}
}

// checkLivestreams compares the 直播 list with GET /api/v1/livestreams and
// returns the livestreams' ids.
func checkLivestreams(t *testing.T, tb *tab) []string {
	tb.open("/livestreams")
	var ls projections.Page[projections.LivestreamSummary]
	tb.api("/api/v1/livestreams?limit=10000&sort=-gmv_fen", &ls)
	var ids []string
	for _, l := range ls.Items {
		ids = append(ids, l.ID)
	}
	if len(ids) == 0 {
		t.Fatal("the API lists no livestreams: comparing the page with it would prove nothing")
	}
	equalSlices(t, "livestreams", tb.rowIDs("#livestreams"), ids)
	for _, l := range ls.Items {
		equal(t, l.ID+" gmv_fen", tb.rowFen("#livestreams", l.ID, "gmv_fen"), int64(l.GMVFen))
		equal(t, l.ID+" net_fen", tb.rowFen("#livestreams", l.ID, "net_fen"), int64(l.NetFen))
	}
	return ids
}

// checkLivestream compares a live room with GET /api/v1/livestreams/{id}.
func checkLivestream(t *testing.T, tb *tab, id string) {
	tb.open("/livestreams/" + id)
	var ls projections.LivestreamSummary
	tb.api("/api/v1/livestreams/"+id, &ls)
	equal(t, id+" gmv_fen", tb.fen(`[data-field=gmv_fen]`), int64(ls.GMVFen))
	equal(t, id+" net_fen", tb.fen(`[data-field=net_fen]`), int64(ls.NetFen))
	equal(t, id+" orders", tb.count(`[data-field=orders]`), ls.Orders)
	equal(t, id+" buyers", tb.count(`[data-field=buyers]`), ls.Buyers)
	minutes := tb.chart("chart-minutes")
	var xs []string
	var orders, gmv []int64
	for _, m := range ls.ByMinute {
		xs, orders, gmv = append(xs, m.Minute), append(orders, m.Orders), append(gmv, int64(m.GMVFen))
	}
	equalSlices(t, id+" minutes", minutes.XAxis[0].Data, xs)
	equalSlices(t, id+" orders per minute", minutes.series(0), orders)
	equalSlices(t, id+" GMV per minute", minutes.series(1), gmv)
	var peak struct{ Minute, Text string }
	tb.eval(`(() => { const p = document.getElementById('peak-minute'); return {Minute: p.dataset.minute || '', Text: p.textContent}; })()`, &peak)
	if ls.PeakMinute == nil {
		t.Fatalf("%s has no peak minute: the fixture has no live sales", id)
	}
	if want := strings.Replace(ls.PeakMinute.Minute, "T", " ", 1); peak.Minute != ls.PeakMinute.Minute || peak.Text != want {
		t.Errorf("%s peak minute: page %q shown as %q, API %q", id, peak.Minute, peak.Text, ls.PeakMinute.Minute)
	}
}

// checkEnterprise compares an enterprise's page with GET
// /api/v1/enterprises/{id} and its paired villages with the registry.
func checkEnterprise(t *testing.T, tb *tab, id string) {
	tb.open("/enterprises/" + id)
	var e projections.EnterpriseSummary
	tb.api("/api/v1/enterprises/"+id, &e)
	equal(t, id+" gmv_fen", tb.fen(`[data-field=gmv_fen]`), int64(e.GMVFen))
	equal(t, id+" net_fen", tb.fen(`[data-field=net_fen]`), int64(e.NetFen))
	equal(t, id+" enterprise_share_fen", tb.fen(`[data-field=enterprise_share_fen]`), int64(e.EnterpriseShareFen))
	equal(t, id+" households_reached", tb.count(`[data-field=households_reached]`), e.HouseholdsReached)
	var title string
	tb.eval(`document.querySelector('h1').textContent`, &title)
	reg := sampleRegistry(t)
	for _, re := range reg.Enterprises {
		if re.ID != id {
			continue
		}
		if title != re.Name {
			t.Errorf("%s page is titled %q, want its name %q", id, title, re.Name)
		}
		var paired []string
		tb.eval(`[...document.querySelectorAll('#paired li[data-id]')].map(li => li.dataset.id)`, &paired)
		equalSlices(t, id+" paired villages", paired, re.PairedVillages)
	}
	products := tb.chart("chart-products")
	var gmv []int64
	for _, p := range e.ByProduct {
		gmv = append(gmv, int64(p.GMVFen))
	}
	equalSlices(t, id+" GMV by product", products.series(0), gmv)
	var vids []string
	for _, v := range e.ByVillage {
		vids = append(vids, v.VillageID)
	}
	equalSlices(t, id+" villages", tb.rowIDs("#by-village"), vids)
}

// checkVillage compares a village's page with GET /api/v1/villages/{id} and
// its households with GET /api/v1/households?village_id={id}.
func checkVillage(t *testing.T, tb *tab, id string) {
	tb.open("/villages/" + id)
	var v projections.VillageSummary // an enterprise's answer has a subset of these fields
	tb.api("/api/v1/villages/"+id, &v)
	equal(t, id+" collective_income_fen", tb.fen(`[data-field=collective_income_fen]`), int64(v.CollectiveIncomeFen))
	equal(t, id+" attributed_sales_fen", tb.fen(`[data-field=attributed_sales_fen]`), int64(v.AttributedSalesFen))
	equal(t, id+" product_sales_fen", tb.fen(`[data-field=product_sales_fen]`), int64(v.ProductSalesFen))
	equal(t, id+" households_reached", tb.count(`[data-field=households_reached]`), v.HouseholdsReached)
	checkHouseholdRows(t, tb, "/api/v1/households?limit=10000&village_id="+url.QueryEscape(id))
}

// checkHouseholdRows compares the page's households table with an API list.
func checkHouseholdRows(t *testing.T, tb *tab, apiPath string) {
	var hs projections.Page[projections.HouseholdSummary] // a share has a subset of these fields
	tb.api(apiPath, &hs)
	var ids []string
	for _, h := range hs.Items {
		ids = append(ids, h.HouseholdID)
	}
	if len(ids) == 0 {
		t.Fatalf("%s lists no households: comparing the page with it would prove nothing", apiPath)
	}
	equalSlices(t, "households of "+apiPath, tb.rowIDs("#households"), ids)
	for _, h := range hs.Items {
		equal(t, h.HouseholdID+" attributed_sales_fen", tb.rowFen("#households", h.HouseholdID, "attributed_sales_fen"), int64(h.AttributedSalesFen))
	}
}

// checkHouseholds compares the 农户 list, unfiltered and filtered.
func checkHouseholds(t *testing.T, tb *tab, filters ...string) {
	for _, f := range append([]string{""}, filters...) {
		tb.open("/households?" + f)
		checkHouseholdRows(t, tb, "/api/v1/households?limit=10000&"+f)
	}
}

// checkHousehold compares a household's page with GET /api/v1/households/{id}.
func checkHousehold(t *testing.T, tb *tab, id string) {
	tb.open("/households/" + id)
	var h projections.HouseholdSummary
	tb.api("/api/v1/households/"+id, &h)
	for field, want := range map[string]domain.Fen{"attributed_sales_fen": h.AttributedSalesFen, "recorded_income_fen": h.RecordedIncomeFen,
		"income_gain_fen": h.IncomeGainFen, "baseline_income_fen": h.BaselineIncomeFen, "per_capita_income_fen": h.PerCapitaIncomeFen,
		"monitoring_line_fen": h.MonitoringLineFen} {
		equal(t, id+" "+field, tb.fen(fmt.Sprintf(`[data-field=%s]`, field)), int64(want))
	}
	var below string
	tb.eval(`document.getElementById('below').dataset.below`, &below)
	if below != fmt.Sprint(h.BelowMonitoringLine) {
		t.Errorf("%s below the line: page %s, API %t", id, below, h.BelowMonitoringLine)
	}
	ic := h.IncomeByCategory
	equalSlices(t, id+" income by category", tb.chart("chart-income").series(0),
		[]int64{int64(ic.OperatingFen), int64(ic.WageFen), int64(ic.PropertyFen), int64(ic.TransferFen)})
}

// checkQuality compares the 数据质量 page's sections with the API: each
// shown exactly when the API serves it to the reader, with its total.
func checkQuality(t *testing.T, tb *tab) {
	tb.open("/quality")
	for _, s := range []struct{ api, total string }{
		{"/api/v1/unattributed", "#unattributed-total"},
		{"/api/v1/dead-letters", "#dead-letters-total"},
		{"/api/v1/conflicts", "#conflicts-total"},
	} {
		var shown bool
		tb.eval(fmt.Sprintf(`document.querySelector(%q) !== null`, s.total), &shown)
		if st := tb.status(s.api); st != 200 {
			if shown {
				t.Errorf("the page shows %s, which the API refuses this reader (%d)", s.total, st)
			}
			continue
		}
		var page struct{ Total int }
		tb.api(s.api, &page)
		if !shown {
			t.Errorf("the page leaves out %s, which the API serves this reader", s.total)
			continue
		}
		equal(t, s.api+" total", tb.count(s.total), int64(page.Total))
	}
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: page %v, API %v", what, got, want)
	}
}

func equalSlices[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\npage %v\nAPI  %v", what, got, want)
	}
}
