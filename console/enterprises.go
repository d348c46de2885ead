package console

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// enterprisesData is the 企业 list.
type enterprisesData struct {
	projections.Page[projections.EnterpriseSummary]
	Names names
}

// enterprises serves the 企业 list: every enterprise for the district, its
// own for an enterprise.
func (c *console) enterprises(g *gin.Context) {
	ctx := g.Request.Context()
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	es, err := c.q.ScopedEnterprises(ctx, c.scope(g), p, projections.Paging{Limit: maxRows, Sort: "-gmv_fen"})
	if err != nil {
		c.fail(g, err)
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.enterprises", "nav.enterprises")
	v.Period = p
	v.setExport("enterprises", listURL("/api/v1/enterprises", p, "sort", "-gmv_fen"))
	v.Data = enterprisesData{Page: es, Names: n}
	c.render(g, http.StatusOK, "enterprises", v)
}

// enterpriseData is one enterprise's page.
type enterpriseData struct {
	projections.EnterpriseSummary
	Paired    []domain.Village
	Names     names
	Streams   livestreamNames
	Products  chart
	Days      chart
	StreamURL string
}

// enterprise serves one enterprise: its figures, paired villages (from the
// registry), products, villages, households reached and livestreams.
func (c *console) enterprise(g *gin.Context) {
	ctx := g.Request.Context()
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	e, err := c.q.ScopedEnterprise(ctx, c.scope(g), g.Param("id"), p)
	if err != nil {
		c.fail(g, err)
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	streams, err := c.livestreamNames(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.enterprises", "enterprise")
	v.Title = n.Enterprise(e.EnterpriseID)
	v.Period = p
	d := enterpriseData{EnterpriseSummary: e, Names: n, Streams: streams,
		StreamURL: "/api/v1/stream?" + streamQuery("enterprise", e.EnterpriseID, p)}
	for _, id := range n.reg.Enterprises[e.EnterpriseID].PairedVillages {
		vil, ok := n.reg.Villages[id]
		if !ok {
			vil = domain.Village{ID: id, Name: id}
		}
		d.Paired = append(d.Paired, vil)
	}
	x := make([]string, len(e.ByProduct))
	gmv := make([]int64, len(e.ByProduct))
	net := make([]int64, len(e.ByProduct))
	for i, pr := range e.ByProduct {
		x[i], gmv[i], net[i] = v.Product(pr.Product), int64(pr.GMVFen), int64(pr.NetFen)
	}
	d.Products = barChart("chart-products", x, []string{v.T("gmv"), v.T("net")}, gmv, net)
	d.Days = trendChart(v, e.ByDay, "day")
	d.Days.ID = "chart-days"
	v.Data = d
	c.render(g, http.StatusOK, "enterprise", v)
}
