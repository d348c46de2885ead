// Package api serves the read model over HTTP with Gin: the summaries of
// DESIGN.md's API section, health, readiness and Prometheus metrics. It only
// reads; ingestion handlers are mounted beside it by the server.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loquat-dev/loquat/console"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/projections"
)

// Options configures the router.
type Options struct {
	// Queries answers the API; nil serves only /healthz, /readyz and
	// /metrics (a node without the API role).
	Queries *projections.Queries
	// Ready reports whether the node can serve fresh answers (nil: always ready).
	Ready func(ctx context.Context) error
	// Gatherer serves /metrics. Default prometheus.DefaultGatherer.
	Gatherer prometheus.Gatherer
	// Logger logs requests that fail. Default slog.Default().
	Logger *slog.Logger
	// Auth authenticates every /api/v1 request and gives its scope; nil
	// serves the API to anyone, unscoped (--insecure-no-auth, or loopback
	// with no account yet).
	Auth *auth.Service
	// AdminSeparate leaves /readyz and /metrics to NewAdminRouter (served
	// on --admin-addr).
	AdminSeparate bool
	// NoConsole leaves out the web console (package console), which is
	// otherwise served at / beside the API whenever Queries is set.
	NoConsole bool
	// Stream configures GET /api/v1/stream (live figures).
	Stream StreamOptions
	// AsOf answers as_of; nil answers it 501. Queries' Store must be a
	// projections.RoutedReader for its answers to follow the request's.
	AsOf AsOfReaders
}

// AsOfReaders gives the read model as the log stood at the end of a past
// China-time day, and a func to call when the request is done with it; a
// malformed or not past day is a projections.ErrBadRequest.
type AsOfReaders interface {
	Reader(ctx context.Context, day string) (projections.Reader, func(), error)
}

const (
	defaultLimit = 100
	maxLimit     = 10000
)

func init() { gin.SetMode(gin.ReleaseMode) }

// NewRouter returns the Gin engine with every route of the API.
func NewRouter(opts Options) (*gin.Engine, error) {
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handlers{q: opts.Queries, log: opts.Logger, auth: opts.Auth, asOf: opts.AsOf, streams: newStreamer(opts.Stream)}
	r := gin.New()
	r.Use(gin.Recovery())
	var notFoundPage gin.HandlerFunc
	if opts.Queries != nil {
		mountQueries(r, h)
		if !opts.NoConsole {
			var err error
			if notFoundPage, err = console.Mount(r, console.Options{Queries: opts.Queries, Auth: opts.Auth, Logger: opts.Logger}); err != nil {
				return nil, err
			}
		}
	}
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	if !opts.AdminSeparate {
		readyAndMetrics(r, opts)
	}
	r.NoRoute(func(c *gin.Context) {
		if notFoundPage != nil && console.IsPage(c.Request.URL.Path) {
			notFoundPage(c)
			return
		}
		c.JSON(http.StatusNotFound, gin.H{"error": fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path)})
	})
	return r, nil
}

// NewAdminRouter serves /healthz, /readyz and /metrics alone, for
// --admin-addr.
func NewAdminRouter(opts Options) *gin.Engine {
	if opts.Gatherer == nil {
		opts.Gatherer = prometheus.DefaultGatherer
	}
	r := gin.New()
	r.Use(gin.Recovery())
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	readyAndMetrics(r, opts)
	return r
}

// accessLogged are the routes whose every read is written to the access
// log: household-level data, and the dead letters and conflicts (raw bytes
// and rejected facts may hold buyers' and households' data).
var accessLogged = map[string]bool{
	"/api/v1/households":               true,
	"/api/v1/households/:id":           true,
	"/api/v1/households/:id/statement": true,
	"/api/v1/monitoring":               true,
	"/api/v1/dead-letters":             true,
	"/api/v1/conflicts":                true,
	"/api/v1/corrections":              true,
}

func mountQueries(r *gin.Engine, h *handlers) {
	sorted := params(periodParams, pageParams, []param{paramSort})
	v1 := r.Group("/api/v1")
	if h.auth != nil {
		h.auth.MountSignIn(v1) // POST /session, before Require
		v1.Use(h.auth.Require(func(c *gin.Context) bool { return accessLogged[c.FullPath()] || isExport(c) }))
		h.auth.MountSignedIn(v1)
	}
	v1.GET("/overview", h.with(periodParams, h.overview))
	v1.GET("/households", h.with(params(sorted, []param{paramVillageID, paramBelowLine}), h.households))
	v1.GET("/households/:id", h.with(periodParams, byID(h, h.q.ScopedHousehold)))
	v1.GET("/households/:id/statement", h.with(params(periodParams, []param{paramStatementFormat}), h.statement))
	v1.GET("/monitoring", h.with(params(pageParams, []param{paramTo, paramVillageID, paramReason, paramCategory}), h.monitoring))
	v1.GET("/enterprises", h.with(sorted, list(h, h.q.ScopedEnterprises)))
	v1.GET("/enterprises/:id", h.with(periodParams, byID(h, h.q.ScopedEnterprise)))
	v1.GET("/villages", h.with(sorted, list(h, h.q.ScopedVillages)))
	v1.GET("/villages/:id", h.with(periodParams, byID(h, h.q.ScopedVillage)))
	v1.GET("/livestreams", h.with(sorted, list(h, h.q.ScopedLivestreams)))
	v1.GET("/livestreams/:id", h.with(nil, h.livestream))
	v1.GET("/livestreams/:id/sessions", h.with(nil, h.livestreamSessions))
	v1.GET("/unattributed", h.with(params(periodParams, pageParams), list(h, h.q.ScopedUnattributed)))
	v1.GET("/dead-letters", h.with(pageParams, h.deadLetters))
	v1.GET("/conflicts", h.with(pageParams, h.conflicts))
	v1.GET("/corrections", h.with([]param{paramHouseholdID, paramTarget}, h.corrections))
	v1.GET("/stream", h.live(streamParams, h.stream))
}

func readyAndMetrics(r *gin.Engine, opts Options) {
	r.GET("/readyz", func(c *gin.Context) {
		if opts.Ready != nil {
			if err := opts.Ready(c.Request.Context()); err != nil {
				c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": err.Error()})
				return
			}
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{})))
}

type handlers struct {
	q       *projections.Queries
	log     *slog.Logger
	auth    *auth.Service
	asOf    AsOfReaders
	streams *streamer
}

// scope is what the request's principal may see: everything when the API
// is served without authentication, nothing when no principal was found.
func (h *handlers) scope(c *gin.Context) projections.Scope {
	if h.auth == nil {
		return projections.Unscoped
	}
	p, ok := auth.PrincipalOf(c)
	if !ok {
		return projections.Scope{}
	}
	return p.Scope()
}

// fail answers an error: 404 for unknown ids, 400 for bad parameters, 500 otherwise.
func (h *handlers) fail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, projections.ErrNotFound):
		c.JSON(http.StatusNotFound, gin.H{"error": err.Error()})
	case errors.Is(err, projections.ErrBadRequest):
		c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
	case errors.Is(err, projections.ErrForbidden):
		c.JSON(http.StatusForbidden, gin.H{"error": err.Error()})
	default:
		h.log.Error("api request failed", "path", c.FullPath(), "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error: " + err.Error()})
	}
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{projections.ErrBadRequest}, args...)...)
}

// with serves a route that takes the declared query parameters, and
// as_of, and no others (see parseQuery); a route that pages also takes
// format=csv|xlsx (see exportable). With as_of the request's reads go
// to the read model as of that day (projections.WithReader).
func (h *handlers) with(declared []param, serve func(*gin.Context, query)) gin.HandlerFunc {
	declared = exportable(append(slices.Clone(declared), paramAsOf))
	return func(c *gin.Context) {
		q, err := parseQuery(c, declared)
		if err == nil {
			err = withExport(c, &q)
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		if q.asOf != "" {
			if h.asOf == nil {
				c.JSON(http.StatusNotImplemented, gin.H{"error": "as_of: this node has no event log to answer it from (an API-only node); ask a node that runs loquat serve"})
				return
			}
			r, release, err := h.asOf.Reader(c.Request.Context(), q.asOf)
			if err != nil {
				h.fail(c, err)
				return
			}
			defer release()
			c.Request = c.Request.WithContext(projections.WithReader(c.Request.Context(), r))
		}
		serve(c, q)
	}
}

// respond answers with out, or with the error's status.
func (h *handlers) respond(c *gin.Context, out any, err error) {
	if err != nil {
		h.fail(c, err)
		return
	}
	if f, ok := exporting(c); ok {
		h.export(c, f, out)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) overview(c *gin.Context, q query) {
	out, err := h.q.ScopedOverview(c.Request.Context(), h.scope(c), q.period)
	h.respond(c, out, err)
}

func (h *handlers) households(c *gin.Context, q query) {
	hq := projections.HouseholdQuery{Period: q.period, Paging: q.paging, VillageID: q.villageID, BelowLine: q.belowLine}
	out, err := h.q.ScopedHouseholds(c.Request.Context(), h.scope(c), hq)
	h.respond(c, out, err)
}

// byID serves a summary of one entity over a period.
func byID[T any](h *handlers, get func(context.Context, projections.Scope, string, projections.Period) (T, error)) func(*gin.Context, query) {
	return func(c *gin.Context, q query) {
		id, err := pathID(c, false)
		if err != nil {
			h.fail(c, err)
			return
		}
		out, err := get(c.Request.Context(), h.scope(c), id, q.period)
		h.respond(c, out, err)
	}
}

// list serves a paged list over a period.
func list[T any](h *handlers, get func(context.Context, projections.Scope, projections.Period, projections.Paging) (T, error)) func(*gin.Context, query) {
	return func(c *gin.Context, q query) {
		out, err := get(c.Request.Context(), h.scope(c), q.period, q.paging)
		h.respond(c, out, err)
	}
}

func (h *handlers) livestream(c *gin.Context, _ query) {
	id, err := pathID(c, true)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.q.ScopedLivestream(c.Request.Context(), h.scope(c), id)
	h.respond(c, out, err)
}

func (h *handlers) deadLetters(c *gin.Context, q query) {
	out, err := h.q.ScopedDeadLetters(c.Request.Context(), h.scope(c), q.paging)
	h.respond(c, out, err)
}

// corrections lists the applied corrections, in the order made, of one
// household or target when asked.
func (h *handlers) corrections(c *gin.Context, q query) {
	f := projections.CorrectionFilter{HouseholdID: q.householdID}
	if q.target != "" {
		f.Targets = []string{q.target}
	}
	out, err := h.q.ScopedCorrections(c.Request.Context(), h.scope(c), f)
	h.respond(c, out, err)
}

// conflicts lists the rejected versions of facts beside the ones that count.
func (h *handlers) conflicts(c *gin.Context, q query) {
	out, err := h.q.ScopedConflicts(c.Request.Context(), h.scope(c), q.paging)
	h.respond(c, out, err)
}
