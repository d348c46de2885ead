package api

import (
	"math"
	"net/http"
	"path"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/export"
)

// paramFormat is format=csv|xlsx: the whole list as a file instead of a
// page of JSON. Every route that pages takes it (see exportable).
var paramFormat = param{"format", func(q *query, v string) error {
	f, err := export.ParseFormat(v)
	q.format = f
	return err
}}

// exportKey is where withExport leaves a request's export format for respond.
const exportKey = "loquat.api.export"

// exportAll is the page an export asks for: every row.
const exportAll = math.MaxInt

// exportable adds format to the parameters of a route that pages: every
// list can be downloaded whole.
func exportable(declared []param) []param {
	for _, p := range declared {
		if p.name == paramLimit.name {
			return params(declared, []param{paramFormat})
		}
	}
	return declared
}

// withExport turns a request with format=… into a request for all rows,
// and notes the format for respond. limit and offset are refused beside
// it: an export is the whole list, and a file that silently held one page
// would be mistaken for all of it.
func withExport(c *gin.Context, q *query) error {
	if q.format == "" {
		return nil
	}
	values := c.Request.URL.Query()
	if values.Has(paramLimit.name) || values.Has(paramOffset.name) {
		return badRequest("format=%s exports every row; leave out limit and offset", q.format)
	}
	q.paging.Limit, q.paging.Offset = exportAll, 0
	c.Set(exportKey, q.format)
	return nil
}

// exporting returns the export format withExport noted, if any.
func exporting(c *gin.Context) (export.Format, bool) {
	v, ok := c.Get(exportKey)
	if !ok {
		return "", false
	}
	f, ok := v.(export.Format)
	return f, ok
}

// isExport selects the requests the access log records as exports (every
// one, whatever the route: an export is a bulk read).
func isExport(c *gin.Context) bool { return c.Query(paramFormat.name) != "" }

// export answers a list (a projections.Page) as a file. The rows are in
// memory already (the queries compose whole lists), so an error here is
// the client going away; the sheet itself streams them out (see package
// export).
func (h *handlers) export(c *gin.Context, f export.Format, out any) {
	items := itemsOf(out)
	if !items.IsValid() {
		h.log.Error("export of a non-list answer", "path", c.FullPath(), "type", reflect.TypeOf(out))
		c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error: this answer cannot be exported"})
		return
	}
	c.Header("Content-Type", f.ContentType())
	c.Header("Content-Disposition", `attachment; filename="`+exportName(c, f)+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := export.WriteAll(c.Writer, f, items.Interface()); err != nil {
		h.log.Warn("export not finished", "path", c.FullPath(), "format", string(f), "err", err)
	}
}

// itemsOf returns the Items slice of a list answer (a Page of any row type).
func itemsOf(out any) reflect.Value {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Struct {
		return reflect.Value{}
	}
	items := v.FieldByName("Items")
	if items.Kind() != reflect.Slice {
		return reflect.Value{}
	}
	return items
}

// exportName names the file after the list and the period it covers,
// e.g. households_2026-01-01_2026-03-31.xlsx. Only ASCII: the route's last
// segment and dates, so no header escaping is needed.
func exportName(c *gin.Context, f export.Format) string {
	name := path.Base(routeOf(c))
	for _, p := range []string{c.Query("from"), c.Query("to")} {
		if p != "" && parseDate(new(string), p) == nil {
			name += "_" + p
		}
	}
	return strings.ReplaceAll(name, `"`, "") + "." + string(f)
}
