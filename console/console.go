// Package console serves the web console at /: server-rendered pages
// (html/template) over the same scoped queries as the API, with Apache
// ECharts and a little JavaScript embedded in the binary (district networks
// are often closed, so nothing comes from a CDN). Chinese first, English
// with ?lang=en or the lang cookie; money in yuan while the API keeps fen
// (each figure also carries its fen in a data-fen attribute).
package console

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/projections"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Options configures the console.
type Options struct {
	// Queries answers every page, in the signed-in account's scope. Required.
	Queries *projections.Queries
	// Auth signs accounts in and gives each page its scope; nil serves
	// every page unscoped (--insecure-no-auth, or loopback with no account).
	Auth *auth.Service
	// Logger logs pages that fail. Default slog.Default().
	Logger *slog.Logger
}

// console holds the parsed templates and what the pages read.
type console struct {
	q     *projections.Queries
	auth  *auth.Service
	log   *slog.Logger
	pages map[string]*template.Template
}

// Mount adds the console's routes to r: the pages at /, /livestreams, … and
// the embedded assets at /assets/. It returns the handler of the console's
// 404 page, for the router's NoRoute on console paths (IsPage).
func Mount(r gin.IRouter, opts Options) (gin.HandlerFunc, error) {
	if opts.Queries == nil {
		return nil, errors.New("console: Options.Queries is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	c := &console{q: opts.Queries, auth: opts.Auth, log: opts.Logger, pages: pages}
	assets, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	r.StaticFS("/assets", http.FS(assets))
	r.GET("/sign-in", c.signIn)
	pages2 := r.Group("/", c.requireSignIn)
	pages2.GET("/", c.home)
	pages2.GET("/overview", c.overview)
	pages2.GET("/livestreams", c.livestreams)
	pages2.GET("/livestreams/:id", c.livestream)
	pages2.GET("/enterprises", c.enterprises)
	pages2.GET("/enterprises/:id", c.enterprise)
	pages2.GET("/villages", c.villages)
	pages2.GET("/villages/:id", c.village)
	pages2.GET("/households", c.logged(c.households))
	pages2.GET("/households/:id", c.logged(c.household))
	pages2.GET("/quality", c.logged(c.quality))
	return func(g *gin.Context) {
		c.requireSignIn(g)
		if !g.IsAborted() {
			c.notFound(g)
		}
	}, nil
}

// IsPage reports whether a path is one the console serves, so a router's
// NoRoute can answer an unknown console path with an HTML page rather
// than the API's JSON. The operational paths are not pages: on a node
// that moved them to --admin-addr they answer a plain 404, not sign-in.
func IsPage(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/ingest/") && !strings.HasPrefix(path, "/assets/")
}

// principalKey is where requireSignIn puts the principal.
const principalKey = "loquat.console.principal"

// requireSignIn sends a request without a valid session (or token) to the
// sign-in page, coming back to where it was going.
func (c *console) requireSignIn(g *gin.Context) {
	if c.auth == nil {
		g.Next()
		return
	}
	p, err := c.auth.Authenticate(g)
	if err != nil {
		if !errors.Is(err, auth.ErrUnauthenticated) {
			c.log.Error("console sign-in check failed", "path", g.FullPath(), "err", err)
		}
		langOf(g) // a ?lang= on the page asked for holds on the sign-in page too
		g.Redirect(http.StatusSeeOther, "/sign-in?next="+url.QueryEscape(g.Request.URL.RequestURI()))
		g.Abort()
		return
	}
	g.Set(principalKey, p)
	g.Next()
}

// logged writes the page's read to the access log before serving it, as the
// API does for its household-level routes: no entry, no data.
func (c *console) logged(serve gin.HandlerFunc) gin.HandlerFunc {
	return func(g *gin.Context) {
		if c.auth != nil {
			p, _ := principalOf(g)
			if err := c.auth.RecordAccess(g, p); err != nil {
				c.fail(g, err)
				return
			}
		}
		serve(g)
	}
}

func principalOf(g *gin.Context) (auth.Principal, bool) {
	v, ok := g.Get(principalKey)
	if !ok {
		return auth.Principal{}, false
	}
	p, ok := v.(auth.Principal)
	return p, ok
}

// scope is what the page's reader may see: everything without auth,
// nothing without a principal.
func (c *console) scope(g *gin.Context) projections.Scope {
	if c.auth == nil {
		return projections.Unscoped
	}
	p, ok := principalOf(g)
	if !ok {
		return projections.Scope{}
	}
	return p.Scope()
}
