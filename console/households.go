package console

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// householdRow is a household as the reader may see it: in full
// (HouseholdSummary), or as an enterprise sees it (HouseholdShare: its
// share of the enterprise's sales, nothing else; Full is false).
type householdRow struct {
	HouseholdID, VillageID, Category string
	Members                          int64
	AttributedSalesFen               domain.Fen
	RecordedIncomeFen                domain.Fen
	IncomeGainFen                    domain.Fen
	PerCapitaIncomeFen               domain.Fen
	BelowMonitoringLine              bool
	Full                             bool
}

func householdRowsOf(v any) ([]householdRow, int, error) {
	switch p := v.(type) {
	case projections.Page[projections.HouseholdSummary]:
		out := make([]householdRow, len(p.Items))
		for i, h := range p.Items {
			out[i] = householdRow{HouseholdID: h.HouseholdID, VillageID: h.VillageID, Category: h.Category, Members: h.Members,
				AttributedSalesFen: h.AttributedSalesFen, RecordedIncomeFen: h.RecordedIncomeFen, IncomeGainFen: h.IncomeGainFen,
				PerCapitaIncomeFen: h.PerCapitaIncomeFen, BelowMonitoringLine: h.BelowMonitoringLine, Full: true}
		}
		return out, p.Total, nil
	case projections.Page[projections.HouseholdShare]:
		out := make([]householdRow, len(p.Items))
		for i, h := range p.Items {
			out[i] = householdRow{HouseholdID: h.HouseholdID, VillageID: h.VillageID, AttributedSalesFen: h.AttributedSalesFen}
		}
		return out, p.Total, nil
	}
	return nil, 0, fmt.Errorf("console: unexpected households answer %T", v)
}

// householdsData is the 农户 list with its filters.
type householdsData struct {
	Table     householdTable
	Total     int
	Villages  []villageRow
	VillageID string
	BelowLine bool
}

// households serves the 农户 list, filtered by village and by the line.
func (c *console) households(g *gin.Context) {
	ctx := g.Request.Context()
	s := c.scope(g)
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	hq := projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: maxRows}, VillageID: g.Query("village_id")}
	below := g.Query("below_line") == "true"
	if below {
		hq.BelowLine = &below
	}
	hs, err := c.q.ScopedHouseholds(ctx, s, hq)
	if err != nil {
		c.fail(g, err)
		return
	}
	rows, total, err := householdRowsOf(hs)
	if err != nil {
		c.fail(g, err)
		return
	}
	vs, err := c.q.ScopedVillages(ctx, s, p, projections.Paging{Limit: maxRows})
	if err != nil {
		c.fail(g, err)
		return
	}
	vrows, _, err := villageRowsOf(vs)
	if err != nil {
		c.fail(g, err)
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.households", "nav.households")
	v.Period = p
	belowQ := ""
	if below {
		belowQ = "true"
	}
	v.setExport("households", listURL("/api/v1/households", p, "village_id", hq.VillageID, "below_line", belowQ))
	_, full := hs.(projections.Page[projections.HouseholdSummary])
	v.Data = householdsData{Table: householdTable{view: v, names: n, Rows: rows, Full: full}, Total: total, Villages: vrows,
		VillageID: hq.VillageID, BelowLine: below}
	c.render(g, http.StatusOK, "households", v)
}

// householdData is one household's page.
type householdData struct {
	projections.HouseholdSummary
	Village string
	Income  chart
}

// household serves one household's page in full. An enterprise, which may
// see only a household's share of its own sales (in the households list),
// has no household page: it answers 403.
func (c *console) household(g *gin.Context) {
	ctx := g.Request.Context()
	s := c.scope(g)
	if !s.All && s.VillageID == "" {
		c.fail(g, fmt.Errorf("%w: a household's page is not in this account's scope", projections.ErrForbidden))
		return
	}
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	out, err := c.q.ScopedHousehold(ctx, s, g.Param("id"), p)
	if err != nil {
		c.fail(g, err)
		return
	}
	h, ok := out.(projections.HouseholdSummary)
	if !ok {
		c.fail(g, fmt.Errorf("console: unexpected household answer %T", out))
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.households", "household")
	v.Title = v.T("household") + " " + h.HouseholdID
	v.Period = p
	ic := h.IncomeByCategory
	v.Data = householdData{HouseholdSummary: h, Village: n.Village(h.VillageID),
		Income: barChart("chart-income", []string{v.T("inc.operating"), v.T("inc.wage"), v.T("inc.property"), v.T("inc.transfer")},
			[]string{v.T("gain")}, []int64{int64(ic.OperatingFen), int64(ic.WageFen), int64(ic.PropertyFen), int64(ic.TransferFen)})}
	c.render(g, http.StatusOK, "household", v)
}

// householdTable is what the "households" template (layout.html) shows.
type householdTable struct {
	view  view
	names names
	Rows  []householdRow
	Full  bool
}

// T translates for the table.
func (t householdTable) T(key string) string { return t.view.T(key) }

// Village names a household's village.
func (t householdTable) Village(id string) string { return t.names.Village(id) }
