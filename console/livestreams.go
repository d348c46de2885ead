package console

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// maxRows bounds the rows a console table shows (the API pages the rest).
const maxRows = 500

// livestreams serves the 直播 list.
func (c *console) livestreams(g *gin.Context) {
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	ls, err := c.q.ScopedLivestreams(g.Request.Context(), c.scope(g), p, projections.Paging{Limit: maxRows, Sort: "-gmv_fen"})
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.livestreams", "nav.livestreams")
	v.Period = p
	v.setExport("livestreams", listURL("/api/v1/livestreams", p, "sort", "-gmv_fen"))
	v.Data = ls
	c.render(g, http.StatusOK, "livestreams", v)
}

// livestreamData is the live room view.
type livestreamData struct {
	projections.LivestreamSummary
	Minutes   chart
	Top       []projections.ProductFigs
	StreamURL string
}

// livestream serves one live room: figures, orders and GMV per minute, top
// products, kept live by the stream.
func (c *console) livestream(g *gin.Context) {
	ctx := g.Request.Context()
	s := c.scope(g)
	id := g.Param("id")
	ls, err := c.q.ScopedLivestream(ctx, s, id)
	if err != nil {
		c.fail(g, err)
		return
	}
	// Top products: ScopedLivestream has let this reader see the room; an
	// enterprise sees its own products' sales in it, as its figures are.
	sq := projections.SalesQuery{LivestreamID: ls.ID, GroupBy: []projections.Dim{projections.DimProduct}}
	if !s.All {
		sq.EnterpriseID = s.EnterpriseID
	}
	rows, err := c.q.Store.Sales(ctx, sq)
	if err != nil {
		c.fail(g, err)
		return
	}
	top := make([]projections.ProductFigs, 0, len(rows))
	for _, r := range rows {
		top = append(top, projections.ProductFigs{Product: r.Product,
			Money: projections.Money{GMVFen: r.SalesFen, RefundsFen: r.RefundsFen, NetFen: r.SalesFen - r.RefundsFen}})
	}
	slices.SortFunc(top, func(a, b projections.ProductFigs) int {
		return cmp.Or(cmp.Compare(b.GMVFen, a.GMVFen), cmp.Compare(a.Product, b.Product))
	})
	v := c.newView(g, "nav.livestreams", "livestream")
	v.Title = v.T("livestream") + " " + livestreamTitle(v, ls)
	v.Data = livestreamData{LivestreamSummary: ls, Minutes: minuteChart(v, ls.ByMinute), Top: top,
		StreamURL: "/api/v1/stream?" + streamQuery("livestream", ls.ID, projections.Period{})}
	c.render(g, http.StatusOK, "livestream", v)
}

// livestreamTitle names a room by its anchor when known.
func livestreamTitle(v view, ls projections.LivestreamSummary) string {
	if ls.AnchorName != "" {
		return ls.AnchorName + " (" + v.Platform(ls.Platform) + ")"
	}
	return v.Platform(ls.Platform) + " " + ls.RoomID
}

// minuteChart draws orders (series 0, left axis) and GMV in fen (series 1,
// right axis) per minute.
func minuteChart(v view, ms []projections.MinuteFigs) chart {
	x := make([]string, len(ms))
	orders := make([]int64, len(ms))
	gmv := make([]domain.Fen, len(ms))
	for i, m := range ms {
		x[i], orders[i], gmv[i] = m.Minute, m.Orders, m.GMVFen
	}
	return chart{ID: "chart-minutes", FenAxes: []int{1}, FenSeries: []int{1}, Option: map[string]any{
		"tooltip": map[string]any{"trigger": "axis"},
		"legend":  map[string]any{"top": 0},
		"grid":    map[string]any{"left": 8, "right": 8, "bottom": 8, "top": 36, "containLabel": true},
		"xAxis":   []any{map[string]any{"type": "category", "data": x}},
		"yAxis":   []any{map[string]any{"type": "value", "minInterval": 1}, map[string]any{"type": "value"}},
		"series": []any{
			map[string]any{"name": v.T("orders"), "type": "bar", "data": orders},
			map[string]any{"name": v.T("gmv"), "type": "line", "yAxisIndex": 1, "data": gmv},
		},
	}}
}
