package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// overviewData is the 总览 page: the district's figures.
type overviewData struct {
	projections.Overview
	RefundRate float64
	// BelowLine counts households below the monitoring line, when the
	// reader sees households' flags (HasBelowLine).
	BelowLine    int
	HasBelowLine bool
	// Path is the page's own path: / for the district, /overview for an
	// enterprise or a village, whose / is its own page.
	Path string
	// Scope says whose sales a scoped overview holds; empty for the district.
	Scope     string
	Bucket    string
	Buckets   []string
	Trend     chart
	Platforms chart
	Villages  chart
	Names     names
	// StreamURL keeps the figures live (only for the daily trend, which
	// is what a figures message carries).
	StreamURL string
}

// home is the console's start: the 总览 page for the district's readers;
// a reader bound to an enterprise or a village starts at its own page,
// which is what it works from, and finds its 总览 at /overview.
func (c *console) home(g *gin.Context) {
	s := c.scope(g)
	switch {
	case s.EnterpriseID != "":
		g.Redirect(http.StatusSeeOther, "/enterprises/"+url.PathEscape(s.EnterpriseID))
		return
	case s.VillageID != "":
		g.Redirect(http.StatusSeeOther, "/villages/"+url.PathEscape(s.VillageID))
		return
	}
	c.overview(g)
}

// overview serves the 总览 page with the reader's overview, as the API
// answers it (ScopedOverview): the district's figures, or an enterprise's
// or a village's own sales.
func (c *console) overview(g *gin.Context) {
	s := c.scope(g)
	ctx := g.Request.Context()
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	ov, err := c.q.ScopedOverview(ctx, s, p)
	if err != nil {
		c.fail(g, err)
		return
	}
	// An enterprise sees households as its shares of them, without their
	// flags (the API refuses it below_line): it has no count below the line.
	var hs any
	if s.EnterpriseID == "" {
		below := true
		if hs, err = c.q.ScopedHouseholds(ctx, s, projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: 1}, BelowLine: &below}); err != nil {
			c.fail(g, err)
			return
		}
	}
	vs, err := c.q.ScopedVillages(ctx, s, p, projections.Paging{Limit: 10000})
	if err != nil {
		c.fail(g, err)
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.overview", "nav.overview")
	v.Period = p
	d := overviewData{Overview: ov, RefundRate: ratio(ov.RefundsFen, ov.GMVFen), Names: n,
		Bucket: bucketOf(g), Buckets: []string{"day", "week", "month"}, Path: "/"}
	switch {
	case s.EnterpriseID != "":
		d.Path, d.Scope = "/overview", v.T("overview.enterprise")
	case s.VillageID != "":
		d.Path, d.Scope = "/overview", v.T("overview.village")
	}
	if page, ok := hs.(projections.Page[projections.HouseholdSummary]); ok {
		d.BelowLine, d.HasBelowLine = page.Total, true
	}
	d.Trend = trendChart(v, ov.ByDay, d.Bucket)
	d.Platforms = platformChart(v, ov.ByPlatform)
	if page, ok := vs.(projections.Page[projections.VillageSummary]); ok {
		d.Villages = villageChart(v, n, page.Items)
	}
	if d.Bucket == "day" {
		d.StreamURL = "/api/v1/stream?" + streamQuery("overview", "", p)
	}
	v.Data = d
	c.render(g, http.StatusOK, "overview", v)
}

func streamQuery(page, id string, p projections.Period) string {
	q := url.Values{"page": {page}}
	if id != "" {
		q.Set("id", id)
	}
	if p.From != "" {
		q.Set("from", p.From)
	}
	if p.To != "" {
		q.Set("to", p.To)
	}
	return q.Encode()
}

func bucketOf(g *gin.Context) string {
	switch b := g.Query("bucket"); b {
	case "week", "month":
		return b
	}
	return "day"
}

// BucketHref is the page with another trend bucket.
func (d overviewData) BucketHref(v view, b string) string {
	q := url.Values{"bucket": {b}}
	if v.Period.From != "" {
		q.Set("from", v.Period.From)
	}
	if v.Period.To != "" {
		q.Set("to", v.Period.To)
	}
	return d.Path + "?" + q.Encode()
}

// bucketed sums days into weeks (starting Monday, labelled by that
// Monday) or months (YYYY-MM); "day" keeps the days.
func bucketed(days []projections.DayFigs, bucket string) []projections.DayFigs {
	if bucket == "day" {
		return days
	}
	var out []projections.DayFigs
	for _, d := range days {
		key := d.Date
		if t, err := time.ParseInLocation(domain.DayLayout, d.Date, domain.ChinaTime); err == nil {
			switch bucket {
			case "week":
				back := (int(t.Weekday()) + 6) % 7 // days since Monday
				key = t.AddDate(0, 0, -back).Format(domain.DayLayout)
			case "month":
				key = t.Format("2006-01")
			}
		}
		if len(out) == 0 || out[len(out)-1].Date != key {
			out = append(out, projections.DayFigs{Date: key})
		}
		last := &out[len(out)-1]
		last.GMVFen += d.GMVFen
		last.RefundsFen += d.RefundsFen
		last.NetFen += d.NetFen
		last.Orders += d.Orders
	}
	return out
}

// trendChart draws GMV and net per bucket (series 0 and 1, in fen).
func trendChart(v view, days []projections.DayFigs, bucket string) chart {
	b := bucketed(days, bucket)
	x := make([]string, len(b))
	gmv := make([]int64, len(b))
	net := make([]int64, len(b))
	for i, d := range b {
		x[i], gmv[i], net[i] = d.Date, int64(d.GMVFen), int64(d.NetFen)
	}
	return chart{ID: "chart-trend", FenAxes: []int{0}, FenSeries: []int{0, 1}, Option: map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"top": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "bottom": 8, "top": 36, "containLabel": true},
		"xAxis":   []any{map[string]any{"type": "category", "data": x}},
		"yAxis":   []any{map[string]any{"type": "value"}},
		"series": []any{
			map[string]any{"name": v.T("gmv"), "type": "bar", "data": gmv},
			map[string]any{"name": v.T("net"), "type": "line", "data": net},
		},
	}}
}

// platformChart draws GMV and net per platform.
func platformChart(v view, ps []projections.PlatformFigs) chart {
	ps = slices.Clone(ps)
	x := make([]string, len(ps))
	gmv := make([]int64, len(ps))
	net := make([]int64, len(ps))
	for i, p := range ps {
		x[i], gmv[i], net[i] = v.Platform(p.Platform), int64(p.GMVFen), int64(p.NetFen)
	}
	return barChart("chart-platforms", x, []string{v.T("gmv"), v.T("net")}, gmv, net)
}

// villageChart draws each village's net product sales and collective income.
func villageChart(v view, n names, vs []projections.VillageSummary) chart {
	x := make([]string, len(vs))
	sales := make([]int64, len(vs))
	coll := make([]int64, len(vs))
	for i, s := range vs {
		x[i], sales[i], coll[i] = n.Village(s.VillageID), int64(s.ProductSalesFen), int64(s.CollectiveIncomeFen)
	}
	return barChart("chart-villages", x, []string{v.T("product_sales"), v.T("collective")}, sales, coll)
}

// barChart draws fen series side by side over categories.
func barChart(id string, x []string, names []string, series ...[]int64) chart {
	if len(names) != len(series) {
		panic(fmt.Sprintf("barChart %s: %d names for %d series", id, len(names), len(series)))
	}
	ss := make([]any, len(series))
	fen := make([]int, len(series))
	for i, s := range series {
		ss[i] = map[string]any{"name": names[i], "type": "bar", "data": s}
		fen[i] = i
	}
	return chart{ID: id, FenAxes: []int{0}, FenSeries: fen, Option: map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"top": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "bottom": 8, "top": 36, "containLabel": true},
		"xAxis":   []any{map[string]any{"type": "category", "data": x, "axisLabel": map[string]any{"interval": 0, "rotate": 30}}},
		"yAxis":   []any{map[string]any{"type": "value"}},
		"series":  ss,
	}}
}
