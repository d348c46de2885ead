package console

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// qualityData is the 数据质量 page; a section the reader may not see is nil.
type qualityData struct {
	DeadLetters  *projections.Page[projections.DeadLetterItem]
	Unattributed *projections.Page[projections.UnattributedItem]
	Conflicts    *projections.Page[domain.Conflict]
}

// quality serves dead letters with their reasons, unattributed SKUs and
// conflicts, each section only for the scopes the API serves it to (an
// auditor sees the unattributed SKUs, not the raw dead letters).
func (c *console) quality(g *gin.Context) {
	ctx := g.Request.Context()
	s := c.scope(g)
	p, err := period(g)
	if err != nil {
		c.fail(g, err)
		return
	}
	pg := projections.Paging{Limit: maxRows}
	var d qualityData
	if dl, err := c.q.ScopedDeadLetters(ctx, s, pg); err == nil {
		d.DeadLetters = &dl
	} else if !errors.Is(err, projections.ErrForbidden) {
		c.fail(g, err)
		return
	}
	if un, err := c.q.ScopedUnattributed(ctx, s, p, pg); err == nil {
		d.Unattributed = &un
	} else if !errors.Is(err, projections.ErrForbidden) {
		c.fail(g, err)
		return
	}
	if cf, err := c.q.ScopedConflicts(ctx, s, pg); err == nil {
		d.Conflicts = &cf
	} else if !errors.Is(err, projections.ErrForbidden) {
		c.fail(g, err)
		return
	}
	if d.DeadLetters == nil && d.Unattributed == nil && d.Conflicts == nil {
		c.fail(g, errors.Join(projections.ErrForbidden, errors.New("data quality is not in this account's scope")))
		return
	}
	v := c.newView(g, "nav.quality", "nav.quality")
	v.Period = p
	v.setExport("dead-letters", "/api/v1/dead-letters")
	v.setExport("unattributed", listURL("/api/v1/unattributed", p))
	v.setExport("conflicts", "/api/v1/conflicts")
	v.Data = d
	c.render(g, http.StatusOK, "quality", v)
}
