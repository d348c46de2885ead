package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/projections"
)

// pageNames are the templates that render a whole page; each is parsed
// with layout.html, which calls its "content".
var pageNames = []string{"overview", "livestreams", "livestream", "enterprises", "enterprise",
	"villages", "village", "households", "household", "quality", "signin", "error"}

var funcs = template.FuncMap{
	"yuan": yuan,
	// fen is the integer for data-fen (a Fen prints as yuan, being a Stringer).
	"fen":      func(f domain.Fen) int64 { return int64(f) },
	"pct":      pct,
	"chinaDay": chinaTime,
	// minute shows the API's China-time minute (2020-04-30T15:20) as people write it.
	"minute": func(m string) string { return strings.Replace(m, "T", " ", 1) },
}

func parseTemplates() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// view is what every page's template gets: the page's own Data and what
// the layout needs (language, navigation, who is signed in, the period).
type view struct {
	Lang    string
	Title   string
	Active  string
	Nav     []navItem
	Account string
	Role    string
	// Auth is whether the console runs with accounts (a sign-out link).
	Auth   bool
	Period projections.Period
	// Path is the page's path and query without lang, for the language switch.
	Path string
	Data any
	// Exports are the API lists behind the page's tables, by table id
	// (see Downloads).
	Exports map[string]string
}

type navItem struct {
	Key, Href string
}

// T translates a message key into the page's language.
func (v view) T(key string) string { return translate(v.Lang, key) }

// Product names a product code in the page's language.
func (v view) Product(code string) string { return productName(v.Lang, code) }

// Platform names a platform in the page's language.
func (v view) Platform(code string) string { return translate(v.Lang, "platform."+code) }

// LangHref is the page in the other language.
func (v view) LangHref(lang string) string {
	u, err := url.Parse(v.Path)
	if err != nil {
		return "/?lang=" + lang
	}
	q := u.Query()
	q.Set("lang", lang)
	u.RawQuery = q.Encode()
	return u.String()
}

// PeriodQuery is the period as a query string suffix ("" or "?from=…&to=…").
func (v view) PeriodQuery() string { return periodQuery(v.Period) }

func periodQuery(p projections.Period) string {
	q := url.Values{}
	if p.From != "" {
		q.Set("from", p.From)
	}
	if p.To != "" {
		q.Set("to", p.To)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// newView starts a page's view: language, navigation for the reader's scope.
func (c *console) newView(g *gin.Context, active, title string) view {
	v := view{Lang: langOf(g), Active: active, Auth: c.auth != nil, Path: withoutLang(g.Request.URL)}
	v.Title = v.T(title)
	s := c.scope(g)
	if p, ok := principalOf(g); ok {
		v.Account, v.Role = p.Account, string(p.Role)
	}
	v.Nav = navFor(s)
	return v
}

func withoutLang(u *url.URL) string {
	q := u.Query()
	q.Del("lang")
	out := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return out.String()
}

// navFor lists the pages a scope may open.
func navFor(s projections.Scope) []navItem {
	switch {
	case s.All:
		return []navItem{{"nav.overview", "/"}, {"nav.livestreams", "/livestreams"}, {"nav.enterprises", "/enterprises"},
			{"nav.villages", "/villages"}, {"nav.households", "/households"}, {"nav.quality", "/quality"}}
	case s.EnterpriseID != "":
		return []navItem{{"nav.enterprises", "/enterprises/" + url.PathEscape(s.EnterpriseID)}, {"nav.overview", "/overview"},
			{"nav.livestreams", "/livestreams"}, {"nav.villages", "/villages"}, {"nav.households", "/households"}}
	case s.VillageID != "":
		return []navItem{{"nav.villages", "/villages/" + url.PathEscape(s.VillageID)}, {"nav.overview", "/overview"},
			{"nav.households", "/households"}}
	}
	return nil
}

// render writes a page; a template error is a 500 written before any byte
// of the page, since the page is rendered into a buffer first.
func (c *console) render(g *gin.Context, status int, name string, v view) {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout.html", v); err != nil {
		c.log.Error("console page failed to render", "page", name, "err", err)
		g.String(http.StatusInternalServerError, "internal error: the page failed to render")
		return
	}
	g.Header("Cache-Control", "no-store")
	// Scripts only from the console's own files (no inline script to
	// inject into); ECharts sets inline styles on its tooltips.
	g.Header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'")
	g.Header("X-Content-Type-Options", "nosniff")
	g.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// fail answers an error with the error page: 404 for unknown and
// out-of-scope ids, 403 for pages out of the reader's scope, 400 for bad
// parameters, 500 otherwise.
func (c *console) fail(g *gin.Context, err error) {
	status, key := http.StatusInternalServerError, "error.internal"
	switch {
	case errors.Is(err, projections.ErrNotFound):
		status, key = http.StatusNotFound, "error.notfound"
	case errors.Is(err, projections.ErrForbidden):
		status, key = http.StatusForbidden, "error.forbidden"
	case errors.Is(err, projections.ErrBadRequest):
		status, key = http.StatusBadRequest, "error.badrequest"
	default:
		c.log.Error("console page failed", "path", g.FullPath(), "err", err)
	}
	v := c.newView(g, "", key)
	v.Data = struct {
		Status  int
		Message string
	}{status, err.Error()}
	c.render(g, status, "error", v)
}

// NotFound renders the console's 404 page (for a router's NoRoute).
func (c *console) notFound(g *gin.Context) {
	c.fail(g, fmt.Errorf("%s: %w", g.Request.URL.Path, projections.ErrNotFound))
}

// period reads the page's from and to (YYYY-MM-DD, China time).
func period(g *gin.Context) (projections.Period, error) {
	p := projections.Period{From: g.Query("from"), To: g.Query("to")}
	for _, d := range []string{p.From, p.To} {
		if d == "" {
			continue
		}
		if t, err := time.Parse(domain.DayLayout, d); err != nil || t.Format(domain.DayLayout) != d {
			return p, fmt.Errorf("%w: %q is not a date YYYY-MM-DD", projections.ErrBadRequest, d)
		}
	}
	if p.From != "" && p.To != "" && p.From > p.To {
		return p, fmt.Errorf("%w: from %s is after to %s", projections.ErrBadRequest, p.From, p.To)
	}
	return p, nil
}

// chart is one ECharts chart: its option and which of its y axes and
// series are in fen (console.js shows those in yuan; the option keeps fen
// so that a figure is exact).
type chart struct {
	ID        string
	Option    map[string]any
	FenAxes   []int
	FenSeries []int
}

// OptionJSON is the chart's option for its data-option attribute.
func (ch chart) OptionJSON() (string, error) {
	b, err := json.Marshal(ch.Option)
	return string(b), err
}

// FenJSON lists the fen axes and series for console.js.
func (ch chart) FenJSON() (string, error) {
	b, err := json.Marshal(map[string][]int{"axes": nonNil(ch.FenAxes), "series": nonNil(ch.FenSeries)})
	return string(b), err
}

func nonNil(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}

// roleOf is the signed-in role, empty without auth.
func roleOf(g *gin.Context) auth.Role {
	p, _ := principalOf(g)
	return p.Role
}
