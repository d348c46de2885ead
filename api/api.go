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
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loquat-dev/loquat/domain"
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
	h := &handlers{q: opts.Queries, log: opts.Logger}
	r := gin.New()
	r.Use(gin.Recovery())
	if opts.Queries != nil {
		mountQueries(r, h)
	}
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	readyAndMetrics(r, opts)
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, gin.H{"error": fmt.Sprintf("no route %s %s", c.Request.Method, c.Request.URL.Path)})
	})
	return r, nil
}

func mountQueries(r *gin.Engine, h *handlers) {
	v1 := r.Group("/api/v1")
	v1.GET("/overview", h.overview)
	v1.GET("/households", h.households)
	v1.GET("/households/:id", h.household)
	v1.GET("/enterprises", h.enterprises)
	v1.GET("/enterprises/:id", h.enterprise)
	v1.GET("/villages", h.villages)
	v1.GET("/villages/:id", h.village)
	v1.GET("/livestreams", h.livestreams)
	v1.GET("/livestreams/:id", h.livestream)
	v1.GET("/unattributed", h.unattributed)
	v1.GET("/dead-letters", h.deadLetters)
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
	q   *projections.Queries
	log *slog.Logger
}

// fail answers an error: 404 for unknown ids, 400 for bad parameters, 500 otherwise.
func (h *handlers) fail(c *gin.Context, err error) {
	switch {
	case errors.Is(err, projections.ErrNotFound):
		c.JSON(http.StatusNotFound, gin.H{"error": err.Error()})
	case errors.Is(err, projections.ErrBadRequest):
		c.JSON(http.StatusBadRequest, gin.H{"error": err.Error()})
	default:
		h.log.Error("api request failed", "path", c.FullPath(), "err", err)
		c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error: " + err.Error()})
	}
}

func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{projections.ErrBadRequest}, args...)...)
}

// period parses from/to (YYYY-MM-DD, China time, inclusive, both optional).
func period(c *gin.Context) (projections.Period, error) {
	p := projections.Period{From: c.Query("from"), To: c.Query("to")}
	for name, v := range map[string]string{"from": p.From, "to": p.To} {
		if v == "" {
			continue
		}
		if _, err := time.Parse(domain.DayLayout, v); err != nil {
			return p, badRequest("%s=%q is not a date YYYY-MM-DD", name, v)
		}
	}
	if p.From != "" && p.To != "" && p.From > p.To {
		return p, badRequest("from=%s is after to=%s", p.From, p.To)
	}
	return p, nil
}

func paging(c *gin.Context) (projections.Paging, error) {
	pg := projections.Paging{Limit: defaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return pg, badRequest("limit=%q must be an integer from 1 to %d", v, maxLimit)
		}
		pg.Limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return pg, badRequest("offset=%q must be a non-negative integer", v)
		}
		pg.Offset = n
	}
	return pg, nil
}

// respond answers with out, or with the error's status.
func (h *handlers) respond(c *gin.Context, out any, err error) {
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) overview(c *gin.Context) {
	p, err := period(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.q.Overview(c.Request.Context(), p)
	h.respond(c, out, err)
}

func (h *handlers) households(c *gin.Context) {
	p, err := period(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	pg, err := paging(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	hq := projections.HouseholdQuery{Period: p, Paging: pg, VillageID: c.Query("village_id"), Sort: c.Query("sort")}
	if v := c.Query("below_line"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			h.fail(c, badRequest("below_line=%q must be true or false", v))
			return
		}
		hq.BelowLine = &b
	}
	out, err := h.q.Households(c.Request.Context(), hq)
	h.respond(c, out, err)
}

// byID serves a summary of one entity over a period.
func byID[T any](h *handlers, get func(context.Context, string, projections.Period) (T, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := period(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		out, err := get(c.Request.Context(), c.Param("id"), p)
		h.respond(c, out, err)
	}
}

// list serves a paged list over a period.
func list[T any](h *handlers, get func(context.Context, projections.Period, projections.Paging) (projections.Page[T], error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, err := period(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		pg, err := paging(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		out, err := get(c.Request.Context(), p, pg)
		h.respond(c, out, err)
	}
}

func (h *handlers) household(c *gin.Context)    { byID(h, h.q.Household)(c) }
func (h *handlers) enterprise(c *gin.Context)   { byID(h, h.q.Enterprise)(c) }
func (h *handlers) enterprises(c *gin.Context)  { list(h, h.q.Enterprises)(c) }
func (h *handlers) village(c *gin.Context)      { byID(h, h.q.Village)(c) }
func (h *handlers) villages(c *gin.Context)     { list(h, h.q.Villages)(c) }
func (h *handlers) livestreams(c *gin.Context)  { list(h, h.q.Livestreams)(c) }
func (h *handlers) unattributed(c *gin.Context) { list(h, h.q.Unattributed)(c) }

func (h *handlers) livestream(c *gin.Context) {
	out, err := h.q.Livestream(c.Request.Context(), c.Param("id"))
	h.respond(c, out, err)
}

func (h *handlers) deadLetters(c *gin.Context) {
	pg, err := paging(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	out, err := h.q.DeadLetters(c.Request.Context(), pg)
	h.respond(c, out, err)
}
