package console

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// villageRow is a village as the reader may see it: in full
// (VillageSummary) for the district and the village itself, or from an
// enterprise's sales (EnterpriseVillageSummary), which has no household
// counts (Full is false).
type villageRow struct {
	VillageID, Name, Town string
	CollectiveIncomeFen   domain.Fen
	AttributedSalesFen    domain.Fen
	ProductSalesFen       domain.Fen
	Households            int64
	HouseholdsReached     int64
	BelowMonitoringLine   int64
	Full                  bool
}

func villageRowOf(v any) (villageRow, error) {
	switch s := v.(type) {
	case projections.VillageSummary:
		return villageRow{VillageID: s.VillageID, Name: s.Name, Town: s.Town, CollectiveIncomeFen: s.CollectiveIncomeFen,
			AttributedSalesFen: s.AttributedSalesFen, ProductSalesFen: s.ProductSalesFen, Households: s.Households,
			HouseholdsReached: s.HouseholdsReached, BelowMonitoringLine: s.BelowMonitoringLine, Full: true}, nil
	case projections.EnterpriseVillageSummary:
		return villageRow{VillageID: s.VillageID, Name: s.Name, Town: s.Town, CollectiveIncomeFen: s.CollectiveIncomeFen,
			AttributedSalesFen: s.AttributedSalesFen, ProductSalesFen: s.ProductSalesFen, HouseholdsReached: s.HouseholdsReached}, nil
	}
	return villageRow{}, fmt.Errorf("console: unexpected village answer %T", v)
}

func villageRowsOf(v any) ([]villageRow, int, error) {
	var out []villageRow
	add := func(x any) error {
		r, err := villageRowOf(x)
		out = append(out, r)
		return err
	}
	switch p := v.(type) {
	case projections.Page[projections.VillageSummary]:
		for _, s := range p.Items {
			if err := add(s); err != nil {
				return nil, 0, err
			}
		}
		return out, p.Total, nil
	case projections.Page[projections.EnterpriseVillageSummary]:
		for _, s := range p.Items {
			if err := add(s); err != nil {
				return nil, 0, err
			}
		}
		return out, p.Total, nil
	}
	return nil, 0, fmt.Errorf("console: unexpected villages answer %T", v)
}

// villagesData is the 村 list.
type villagesData struct {
	Items []villageRow
	Total int
	Full  bool
}

// villages serves the 村 list.
func (c *console) villages(g *gin.Context) {
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	vs, err := c.q.ScopedVillages(g.Request.Context(), c.scope(g), p, projections.Paging{Limit: maxRows})
	if err != nil {
		c.fail(g, err)
		return
	}
	rows, total, err := villageRowsOf(vs)
	if err != nil {
		c.fail(g, err)
		return
	}
	v := c.newView(g, "nav.villages", "nav.villages")
	v.Period = p
	v.setExport("villages", listURL("/api/v1/villages", p))
	v.Data = villagesData{Items: rows, Total: total, Full: len(rows) == 0 || rows[0].Full}
	c.render(g, http.StatusOK, "villages", v)
}

// villageData is one village's page.
type villageData struct {
	villageRow
	Table householdTable
	// HouseholdsTotal counts the households listed for the reader.
	HouseholdsTotal int
}

// village serves one village: its collective income and its households
// with their flags (for an enterprise, the households its sales reached,
// with their shares of its sales only).
func (c *console) village(g *gin.Context) {
	ctx := g.Request.Context()
	s := c.scope(g)
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	id := g.Param("id")
	vs, err := c.q.ScopedVillage(ctx, s, id, p)
	if err != nil {
		c.fail(g, err)
		return
	}
	row, err := villageRowOf(vs)
	if err != nil {
		c.fail(g, err)
		return
	}
	if c.auth != nil { // the households below are household-level data
		pr, _ := principalOf(g)
		if err := c.auth.RecordAccess(g, pr); err != nil {
			c.fail(g, err)
			return
		}
	}
	hs, err := c.q.ScopedHouseholds(ctx, s, projections.HouseholdQuery{Period: p, Paging: projections.Paging{Limit: maxRows}, VillageID: id})
	if err != nil {
		c.fail(g, err)
		return
	}
	hrows, total, err := householdRowsOf(hs)
	if err != nil {
		c.fail(g, err)
		return
	}
	n, err := c.names(ctx)
	if err != nil {
		c.fail(g, err)
		return
	}
	_, full := hs.(projections.Page[projections.HouseholdSummary])
	v := c.newView(g, "nav.villages", "village")
	v.Title = row.Name
	if row.Town != "" {
		v.Title += " · " + row.Town
	}
	v.Period = p
	v.setExport("households", listURL("/api/v1/households", p, "village_id", id))
	v.Data = villageData{villageRow: row, Table: householdTable{view: v, names: n, Rows: hrows, Full: full}, HouseholdsTotal: total}
	c.render(g, http.StatusOK, "village", v)
}
