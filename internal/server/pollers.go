package server

import (
	"context"
	"log/slog"
	"sync"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
)

// PollerConfig configures the platforms a node polls; a platform without
// an app key is not polled.
type PollerConfig struct {
	JD       jd.Config
	Kuaishou kuaishou.Config
}

// pollers build the configured pollers, by platform; adding one is one line here.
var pollers = map[string]func(cfg PollerConfig, sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error){
	"jd": func(cfg PollerConfig, sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
		if cfg.JD.AppKey == "" {
			return nil, nil
		}
		return jd.New(cfg.JD, sink, cursors, logger)
	},
	"kuaishou": func(cfg PollerConfig, sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
		if cfg.Kuaishou.AppKey == "" {
			return nil, nil
		}
		return kuaishou.New(cfg.Kuaishou, sink, cursors, logger)
	},
}

// catchUpper is a poller that can also catch up once and return.
type catchUpper interface {
	RunOnce(ctx context.Context) error
}

// polling runs a node's pollers and knows when each has caught up once.
type polling struct {
	logger  *slog.Logger
	pollers map[string]ingest.Poller

	mu      sync.Mutex
	pending int           // pollers that have not caught up yet
	caught  chan struct{} // closed when pending reaches zero
	failed  map[string]error
}

func newPolling(pollers map[string]ingest.Poller, logger *slog.Logger) *polling {
	p := &polling{logger: logger, pollers: pollers, pending: len(pollers), caught: make(chan struct{}), failed: map[string]error{}}
	if p.pending == 0 {
		close(p.caught)
	}
	return p
}

// run polls with every poller until ctx ends: first a catch-up to now, then
// continuously. A poller that fails for good (a bad configuration) is
// logged and reported by err; the others go on.
func (p *polling) run(ctx context.Context) {
	var wg sync.WaitGroup
	for name, poller := range p.pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if c, ok := poller.(catchUpper); ok {
				err = c.RunOnce(ctx)
			}
			if err == nil {
				p.caughtUp()
				err = poller.Run(ctx)
			} else {
				p.caughtUp() // it will not catch up: do not keep waiters waiting
			}
			if err != nil && ctx.Err() == nil {
				p.logger.Error("poller stopped", "platform", name, "err", err)
				p.mu.Lock()
				p.failed[name] = err
				p.mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func (p *polling) caughtUp() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending--
	if p.pending == 0 {
		close(p.caught)
	}
}

// wait waits until every poller has caught up once (or failed).
func (p *polling) wait(ctx context.Context) error {
	select {
	case <-p.caught:
		return p.err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// err reports the first poller that failed for good.
func (p *polling) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, err := range p.failed {
		return &pollerError{name: name, err: err}
	}
	return nil
}

type pollerError struct {
	name string
	err  error
}

func (e *pollerError) Error() string { return "poller " + e.name + ": " + e.err.Error() }
func (e *pollerError) Unwrap() error { return e.err }
