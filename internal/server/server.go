// Package server wires one Loquat node: the event log, the projector, the
// read model, the ingest endpoints and the API. The embedded deployment runs
// everything in one process (`loquat serve`).
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

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/api"
	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	logsqlite "github.com/loquat-dev/loquat/eventlog/sqlite"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/projections"
	storesqlite "github.com/loquat-dev/loquat/projections/sqlite"
)

// Config configures a node.
type Config struct {
	// DataDir holds the event log and the read model. Default "./data".
	DataDir string
	// Addr is the HTTP listen address. Default "127.0.0.1:8080"; ":0" picks a free port.
	Addr string
	// Douyin configures POST /ingest/douyin; without an AppKey the endpoint
	// answers 503 saying it is not configured.
	Douyin douyin.Config
	// EventLog tunes the embedded log; Dir is set from DataDir.
	EventLog logsqlite.Config
	// Projector tunes the projector.
	Projector projections.ProjectorConfig
	// Now is the clock for "today" in queries. Default time.Now.
	Now func() time.Time
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.EventLog.Dir = EventLogDir(c.DataDir)
}

// EventLogDir is where a data dir keeps its event log.
func EventLogDir(dataDir string) string { return filepath.Join(dataDir, "eventlog") }

// ReadModelPath is where a data dir keeps its SQLite read model.
func ReadModelPath(dataDir string) string { return filepath.Join(dataDir, "readmodel.db") }

// OpenLog opens a data dir's event log, for commands that only append
// (import, registry load); it is safe beside a running node.
func OpenLog(dataDir string, cfg logsqlite.Config, logger *slog.Logger) (*logsqlite.Log, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	cfg.Dir = EventLogDir(dataDir)
	if logger == nil {
		logger = slog.Default()
	}
	return logsqlite.Open(cfg, watermill.NewSlogLoggerWithLevelMapping(logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}))
}

// Node is one running Loquat process.
type Node struct {
	cfg       Config
	lock      *dataDirLock
	log       *logsqlite.Log
	store     *storesqlite.Store
	writer    *eventlog.Writer
	projector *projections.Projector
	router    *message.Router
	metrics   *metrics
	listener  net.Listener
	http      *http.Server
	queries   *projections.Queries
}

// Open opens the data dir and prepares every component; Run starts them.
func Open(ctx context.Context, cfg Config) (n *Node, err error) {
	cfg.setDefaults()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", cfg.DataDir, err)
	}
	n = &Node{cfg: cfg, metrics: newMetrics()}
	defer func() {
		if err != nil {
			n.close()
		}
	}()
	if n.lock, err = lockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	if n.log, err = OpenLog(cfg.DataDir, cfg.EventLog, cfg.Logger); err != nil {
		return nil, err
	}
	if n.store, err = storesqlite.Open(ctx, storesqlite.Config{Path: ReadModelPath(cfg.DataDir)}); err != nil {
		return nil, err
	}
	n.writer = eventlog.NewWriter(n.log.Publisher())
	n.writer.OnAppend = n.metrics.onAppend
	n.writer.OnDeadLetter = n.metrics.onDeadLetter

	pcfg := cfg.Projector
	if pcfg.RegistryEnd == nil {
		pcfg.RegistryEnd = func(ctx context.Context) (eventlog.Positions, error) {
			return n.log.End(ctx, eventlog.TopicRegistry)
		}
	}
	onCommit := pcfg.OnCommit
	pcfg.OnCommit = func(s projections.CommitStats) {
		n.metrics.onCommit(s)
		if onCommit != nil {
			onCommit(s)
		}
	}
	if n.projector, err = projections.NewProjector(ctx, n.store, pcfg, cfg.Logger); err != nil {
		return nil, err
	}
	if n.router, err = n.newRouter(); err != nil {
		return nil, err
	}
	n.queries = &projections.Queries{Store: n.store, Now: cfg.Now}
	engine, err := api.NewRouter(api.Options{Queries: n.queries, Ready: n.ready, Gatherer: n.metrics.registry, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	n.mountIngest(engine)
	if n.listener, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is another server using the port? set --addr)", cfg.Addr, err)
	}
	n.http = &http.Server{Handler: engine, ReadHeaderTimeout: 10 * time.Second}
	return n, nil
}

func (n *Node) newRouter() (*message.Router, error) {
	wlog := watermill.NewSlogLoggerWithLevelMapping(n.cfg.Logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wlog)
	if err != nil {
		return nil, err
	}
	sub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: n.projectorGroup(), ResumeAfter: n.projector.ResumeAfter()})
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("projector", eventlog.TopicEvents, sub, n.projector.Handle)
	// The registry is read from its start on every run (see Projector).
	regSub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: n.projectorGroup() + "-registry", ResumeAfter: eventlog.Positions{}})
	if err != nil {
		return nil, err
	}
	router.AddConsumerHandler("projector_registry", eventlog.TopicRegistry, regSub, n.projector.HandleRegistry)
	dlSub, err := n.log.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "dead_letters"})
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

func (n *Node) mountIngest(engine *gin.Engine) {
	if n.cfg.Douyin.AppKey == "" {
		engine.POST("/ingest/douyin", func(c *gin.Context) {
			c.JSON(http.StatusServiceUnavailable, gin.H{"code": 50300, "msg": "douyin ingest is not configured: start with --douyin-app-key and --douyin-app-secret"})
		})
		return
	}
	h, err := douyin.NewHandler(n.cfg.Douyin, n.writer, n.cfg.Logger)
	if err != nil {
		engine.POST("/ingest/douyin", func(c *gin.Context) {
			c.JSON(http.StatusServiceUnavailable, gin.H{"code": 50300, "msg": "douyin ingest is misconfigured: " + err.Error()})
		})
		return
	}
	engine.POST("/ingest/douyin", gin.WrapH(h))
}

// URL is the node's base URL, e.g. http://127.0.0.1:8080.
func (n *Node) URL() string { return "http://" + n.listener.Addr().String() }

// Writer appends to the node's event log (ingest.Sink).
func (n *Node) Writer() *eventlog.Writer { return n.writer }

// Projector is the node's projector.
func (n *Node) Projector() *projections.Projector { return n.projector }

// Log is the node's event log.
func (n *Node) Log() eventlog.Backend { return n.log }

// Queries answers API queries directly.
func (n *Node) Queries() *projections.Queries { return n.queries }

func (n *Node) ready(ctx context.Context) error {
	if !n.router.IsRunning() {
		return errors.New("event log consumers are not running")
	}
	if err := n.projector.Healthy(); err != nil {
		return fmt.Errorf("projector: %w", err)
	}
	return n.store.Ping(ctx)
}

// CaughtUp waits until everything appended to the log so far is in the read model.
func (n *Node) CaughtUp(ctx context.Context) error {
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
	errs := make(chan error, 4)
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
	run("projector", func() error { return n.projector.Run(ctx) })
	run("log consumers", func() error {
		if err := n.router.Run(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		return nil // stopping: a subscription cut short by the shutdown is not a failure
	})
	run("http", func() error {
		if err := n.http.Serve(n.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	run("lag", func() error { n.trackLag(ctx); return nil })

	<-ctx.Done()
	shutdown, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	n.http.Shutdown(shutdown)
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
	if n.log != nil {
		errs = append(errs, n.log.Close())
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	if n.listener != nil && n.http == nil {
		n.listener.Close()
	}
	n.lock.release()
	return errors.Join(errs...)
}
