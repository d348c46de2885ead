// Package server wires a Loquat node: the event log, the projector, the read
// model, the ingest endpoints and the API. `loquat serve` runs every role in
// one process; `loquat ingest`, `loquat project` and `loquat api` run one role
// each against a shared event log (Kafka) and read model.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/live"
	"github.com/loquat-dev/loquat/projections"
)

// Roles are what a node does.
type Roles struct {
	// Ingest serves the platforms' webhooks and appends to the event log.
	Ingest bool
	// Project consumes the event log into the read model.
	Project bool
	// API serves the read model.
	API bool
}

// AllRoles is the single-machine deployment: everything in one process.
var AllRoles = Roles{Ingest: true, Project: true, API: true}

func (r Roles) String() string {
	s := ""
	for _, x := range []struct {
		on   bool
		name string
	}{{r.Ingest, "ingest"}, {r.Project, "project"}, {r.API, "api"}} {
		if x.on {
			if s != "" {
				s += "+"
			}
			s += x.name
		}
	}
	return s
}

// Config configures a node.
type Config struct {
	// DataDir holds the embedded event log and the SQLite read model. Default "./data".
	DataDir string
	// Addr is the HTTP listen address. Default "127.0.0.1:8080"; ":0" picks a free port.
	Addr string
	// Roles default to AllRoles.
	Roles Roles
	// EventLog selects the event log (embedded SQLite by default, or Kafka).
	EventLog LogConfig
	// Store selects the read model (SQLite by default).
	Store StoreConfig
	// Platforms are the platforms the Ingest role takes orders from: it
	// polls each enabled PollingSource and serves each PushSource's path
	// (with 503 while it is not enabled). serve gives one a registered
	// platform (internal/platforms).
	Platforms []ingest.Source
	// Accept is the window of plausible business times for what the
	// webhooks and pollers receive (see domain.CheckPlausible); events
	// outside it, or naming an unknown platform, are dead-lettered. The
	// zero value selects the defaults (from 2015-01-01 to now plus a day).
	Accept domain.AcceptWindow
	// Projector tunes the projector.
	Projector projections.ProjectorConfig
	// Stream tunes GET /api/v1/stream; its Hub is the node's own.
	Stream api.StreamOptions
	// Auth configures authentication, TLS and the admin listener.
	Auth AuthConfig
	// Now is the clock for "today" in queries. Default time.Now.
	Now func() time.Time
	// Monitor are the monitoring list's thresholds (zero fields: defaults).
	Monitor domain.MonitoringThresholds
	// Logger is the node's logger. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Roles == (Roles{}) {
		c.Roles = AllRoles
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Node is one running Loquat process.
type Node struct {
	cfg       Config
	lock      *dataDirLock
	log       eventlog.Backend       // nil without Ingest and Project
	store     projections.Store      // nil without Project and API
	writer    *eventlog.Writer       // Ingest
	polling   *polling               // Ingest
	projector *projections.Projector // Project
	router    *message.Router        // Project
	queries   *projections.Queries   // API
	live      *live.Hub              // API: the live stream's commits
	asOf      *AsOf                  // API, with the event log
	metrics   *metrics
	listener  net.Listener
	http      *http.Server
	scheme    string        // "https" under TLS, else "http"
	auth      *auth.Service // API role, unless unauthenticated
	// authWarning says why the API is served without authentication.
	authWarning string
	// admin serves /readyz and /metrics on Auth.AdminAddr.
	admin         *http.Server
	adminListener net.Listener
}

// Open opens what the node's roles need and prepares them; Run starts them.
func Open(ctx context.Context, cfg Config) (n *Node, err error) {
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	node := &Node{cfg: cfg, metrics: newMetrics(), scheme: "http"}
	n = node
	defer func() {
		if err != nil {
			node.close() // n is nil by then
		}
	}()
	roles := cfg.Roles
	// One projector per read model in the data dir (an API may read beside
	// it). A configuration that names no known store fails in OpenStore.
	if store, err := cfg.Store.backend(); roles.Project && err == nil && store.locksDataDir {
		if n.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if roles.Ingest || roles.Project {
		if n.log, err = OpenLog(cfg.DataDir, cfg.EventLog, cfg.Logger); err != nil {
			return nil, err
		}
	}
	if roles.Project || roles.API {
		if n.store, err = OpenStore(ctx, cfg.DataDir, cfg.Store); err != nil {
			return nil, err
		}
	}
	if err := errors.Join(cfg.Accept.Validate(), cfg.Monitor.Validate()); err != nil {
		return nil, err
	}
	if roles.Ingest {
		n.writer = eventlog.NewWriter(n.log.Publisher())
		n.writer.OnAppend = n.metrics.onAppend
		n.writer.OnDeadLetter = n.metrics.onDeadLetter
		if err := n.openPollers(); err != nil {
			return nil, err
		}
	}
	if roles.API {
		n.openLive()
	}
	if roles.Project {
		if err := n.openProjector(ctx); err != nil {
			return nil, err
		}
	}
	opts := api.Options{Ready: n.ready, Gatherer: n.metrics.registry, Logger: cfg.Logger, AdminSeparate: cfg.Auth.AdminAddr != ""}
	if roles.API {
		n.queries = &projections.Queries{Store: projections.RoutedReader(n.store), Now: cfg.Now, MonitoringThresholds: cfg.Monitor}
		opts.Queries = n.queries
		opts.Stream = cfg.Stream
		opts.Stream.Hub = n.live
		if n.log != nil {
			// As-of read models are SQLite files in the data dir whatever
			// the live store: a day's is a derived cache, rebuilt at will.
			if n.asOf, err = NewAsOf(AsOfOptions{Log: n.log, Dir: filepath.Join(cfg.DataDir, "asof"), Now: cfg.Now, Logger: cfg.Logger}); err != nil {
				return nil, err
			}
			opts.AsOf = n.asOf
		}
		if err := n.openAuth(ctx); err != nil {
			return nil, err
		}
		opts.Auth = n.auth
	}
	engine, err := api.NewRouter(opts)
	if err != nil {
		return nil, err
	}
	if roles.Ingest {
		if err := n.mountIngest(engine); err != nil {
			return nil, err
		}
	}
	var handler, admin http.Handler = engine, nil
	if cfg.Auth.AdminAddr != "" {
		admin = api.NewAdminRouter(opts)
	}
	if n.polling != nil {
		handler = n.polling.withStatus(engine) // /readyz shows the pollers' progress
		if admin != nil {
			admin = n.polling.withStatus(admin)
		}
	}
	if err := n.listenHTTP(handler, admin); err != nil {
		return nil, err
	}
	n.warnAuth()
	return n, nil
}

func (n *Node) openPollers() error {
	cursors := eventlog.NewCursorStore(n.log)
	active := map[string]ingest.Poller{}
	for _, src := range n.cfg.Platforms {
		ps, ok := src.(ingest.PollingSource)
		if !ok || !src.Enabled() {
			continue
		}
		name := src.Platform()
		sink, err := n.guarded(name)
		if err != nil {
			return err
		}
		p, err := ps.NewPoller(sink, cursors, n.cfg.Logger)
		if err != nil {
			return fmt.Errorf("%s poller: %w", name, err)
		}
		active[name] = p
	}
	n.polling = newPolling(active, n.cfg.Logger)
	n.metrics.registry.MustRegister(newPollerCollector(n.polling.statuses))
	return nil
}

// Polled waits until every configured poller has caught up with its
// platform once (after that they keep polling).
func (n *Node) Polled(ctx context.Context) error {
	if n.polling == nil {
		return nil
	}
	return n.polling.wait(ctx)
}

func (n *Node) openProjector(ctx context.Context) error {
	pcfg := n.cfg.Projector
	if pcfg.RegistryEnd == nil {
		pcfg.RegistryEnd = func(ctx context.Context) (eventlog.Positions, error) {
			return n.log.End(ctx, eventlog.TopicRegistry)
		}
	}
	onCommit := pcfg.OnCommit
	pcfg.OnCommit = func(s projections.CommitStats) {
		n.metrics.onCommit(s)
		if n.live != nil {
			n.live.Notify()
		}
		if onCommit != nil {
			onCommit(s)
		}
	}
	// NewProjector has a store that readies itself for writes
	// (projections.WritesPreparer) do it before the first batch waits on it.
	var err error
	if n.projector, err = projections.NewProjector(ctx, n.store, pcfg, n.cfg.Logger); err != nil {
		return err
	}
	n.router, err = n.newRouter()
	return err
}

func (n *Node) newRouter() (*message.Router, error) {
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, watermillLogger(n.cfg.Logger))
	if err != nil {
		return nil, err
	}
	group := n.projectorGroup()
	sub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: group, ResumeAfter: n.projector.ResumeAfter()})
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("projector", eventlog.TopicEvents, sub, n.projector.Handle)
	// The registry is read from its start on every run (see Projector).
	regSub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: group + "-registry", ResumeAfter: eventlog.Positions{}})
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("projector_registry", eventlog.TopicRegistry, regSub, n.projector.HandleRegistry)
	dlSub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: group + "-dead-letters"})
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("dead_letters", eventlog.TopicDeadLetters, dlSub, func(msg *message.Message) error {
		dl, err := eventlog.DecodeDeadLetter(msg)
		if err != nil {
			n.cfg.Logger.Error("undecodable dead letter skipped", "msg_uuid", msg.UUID, "err", err)
			return nil
		}
		return n.store.PutDeadLetters(msg.Context(), []domain.DeadLetter{dl})
	})
	return router, nil
}

func (n *Node) projectorGroup() string {
	if n.cfg.Projector.Consumer != "" {
		return n.cfg.Projector.Consumer
	}
	return "projector"
}

// mountIngest mounts each push platform's path: the platform's handler, or
// a 503 saying how to enable it. A platform configured but not well enough
// stops the node from starting: serving would answer every push 503 while
// /readyz said ready.
func (n *Node) mountIngest(engine *gin.Engine) error {
	for _, src := range n.cfg.Platforms {
		ps, ok := src.(ingest.PushSource)
		if !ok {
			continue
		}
		if !src.Enabled() {
			msg := ps.Disabled()
			engine.POST(ps.Path(), func(c *gin.Context) {
				c.JSON(http.StatusServiceUnavailable, gin.H{"code": 50300, "msg": msg})
			})
			continue
		}
		sink, err := n.guarded(src.Platform())
		if err != nil {
			return err
		}
		h, err := ps.NewHandler(sink, n.cfg.Logger)
		if err != nil {
			return err
		}
		engine.POST(ps.Path(), gin.WrapH(h))
	}
	return nil
}

// guarded is the node's writer behind the input rules, for one source:
// what fails them is dead-lettered under that source's name.
func (n *Node) guarded(source string) (ingest.Sink, error) {
	return ingest.NewGuard(n.writer, ingest.GuardConfig{Source: source, Window: n.cfg.Accept})
}

// URL is the node's base URL, e.g. http://127.0.0.1:8080.
func (n *Node) URL() string { return n.scheme + "://" + n.listener.Addr().String() }

// Writer appends to the node's event log (ingest.Sink); nil without the Ingest role.
func (n *Node) Writer() *eventlog.Writer { return n.writer }

// Projector is the node's projector; nil without the Project role.
func (n *Node) Projector() *projections.Projector { return n.projector }

// Log is the node's event log; nil without the Ingest and Project roles.
func (n *Node) Log() eventlog.Backend { return n.log }

// Queries answers API queries directly; nil without the API role.
func (n *Node) Queries() *projections.Queries { return n.queries }

func (n *Node) ready(ctx context.Context) error {
	if n.router != nil && !n.router.IsRunning() {
		return errors.New("event log consumers are not running")
	}
	if n.projector != nil {
		if err := n.projector.Healthy(); err != nil {
			return fmt.Errorf("projector: %w", err)
		}
	}
	if n.polling != nil {
		if err := n.polling.err(); err != nil {
			return err
		}
	}
	if n.store != nil {
		return n.store.Ping(ctx)
	}
	return nil
}

// CaughtUp waits until everything appended to the log so far is in the
// read model. It needs the Project role.
func (n *Node) CaughtUp(ctx context.Context) error {
	if n.projector == nil {
		return errors.New("this node does not project")
	}
	registry, err := n.log.End(ctx, eventlog.TopicRegistry)
	if err != nil {
		return err
	}
	if err := n.projector.WaitForRegistry(ctx, registry); err != nil {
		return err
	}
	end, err := n.log.End(ctx, eventlog.TopicEvents)
	if err != nil {
		return err
	}
	return n.projector.WaitFor(ctx, end)
}

// Run serves until ctx ends, then shuts down gracefully and closes the node.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	run := func(name string, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil {
				errs <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	if n.projector != nil {
		run("projector", func() error { return n.projector.Run(ctx) })
		run("log consumers", func() error {
			if err := n.router.Run(ctx); err != nil && ctx.Err() == nil {
				return err
			}
			return nil // stopping: a subscription cut short by the shutdown is not a failure
		})
		run("lag", func() error { n.trackLag(ctx); return nil })
	}
	if n.polling != nil {
		run("pollers", func() error { n.polling.run(ctx); return nil })
	}
	run("http", func() error {
		if err := n.http.Serve(n.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	run("admin http", n.serveAdmin)
	if n.live != nil && n.projector == nil {
		run("live", func() error { n.followCheckpoint(ctx); return nil })
	}

	<-ctx.Done()
	if n.live != nil {
		n.live.Close() // streams end, so that Shutdown need not wait for them
	}
	shutdown, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	n.http.Shutdown(shutdown)
	if n.admin != nil {
		n.admin.Shutdown(shutdown)
	}
	wg.Wait() // the router closes itself when ctx ends
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	all = append(all, n.close())
	return errors.Join(all...)
}

// trackLag updates the lag gauge twice a second.
func (n *Node) trackLag(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			end, err := n.log.End(ctx, eventlog.TopicEvents)
			if err != nil {
				continue
			}
			committed := n.projector.Committed()
			var lag int64
			for part, off := range end {
				lag += max(0, off-committed[part])
			}
			n.metrics.lag.Set(float64(lag))
		}
	}
}

func (n *Node) close() error {
	var errs []error
	if n.asOf != nil { // its builds read the log
		errs = append(errs, n.asOf.Close())
	}
	if n.log != nil {
		errs = append(errs, n.log.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	if n.listener != nil && n.http == nil {
		n.listener.Close()
	}
	if n.adminListener != nil && n.admin == nil {
		n.adminListener.Close()
	}
	if n.auth != nil {
		errs = append(errs, n.auth.Close())
	}
	n.lock.release()
	return errors.Join(errs...)
}
