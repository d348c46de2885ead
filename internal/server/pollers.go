package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/jd"
)

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
// continuously. A catch-up that fails goes on as Run, which retries what
// may pass; a poller that fails for good (a bad configuration) is logged
// and reported by err; the others go on.
func (p *polling) run(ctx context.Context) {
	var wg sync.WaitGroup
	for name, poller := range p.pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var once sync.Once
			caughtUp := func() { once.Do(p.caughtUp) }
			runCtx, stopWatching := context.WithCancel(ctx)
			defer stopWatching()
			if err := p.catchUp(ctx, poller); err != nil && ctx.Err() == nil {
				p.logger.Warn("poller did not catch up; polling on", "platform", name, "err", err)
				wg.Add(1)
				go func() { defer wg.Done(); watchCaughtUp(runCtx, poller, caughtUp) }()
			} else {
				caughtUp()
			}
			err := poller.Run(runCtx)
			if err != nil && ctx.Err() == nil {
				p.logger.Error("poller stopped", "platform", name, "err", err)
				p.mu.Lock()
				p.failed[name] = err
				p.mu.Unlock()
			}
			stopWatching()
			caughtUp() // it will not catch up now: do not keep waiters waiting
		}()
	}
	wg.Wait()
}

// catchUp runs the poller's RunOnce, if it has one.
func (p *polling) catchUp(ctx context.Context, poller ingest.Poller) error {
	if c, ok := poller.(ingest.CatchUpper); ok {
		return c.RunOnce(ctx)
	}
	return nil
}

// watchCaughtUp calls caughtUp once the poller's status says it caught up
// (at once for a poller without a status), or when ctx ends.
func watchCaughtUp(ctx context.Context, poller ingest.Poller, caughtUp func()) {
	defer caughtUp()
	r, ok := poller.(statusReporter)
	if !ok {
		return
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for r.Status().CaughtUpAt.IsZero() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
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

// statusReporter is a poller that says how far it has got (jd.Status and
// kuaishou.Status are the same type).
type statusReporter interface {
	Status() jd.Status
}

// statuses returns each poller's status that reports one, by platform.
func (p *polling) statuses() []jd.Status {
	var out []jd.Status
	for _, poller := range p.pollers {
		if r, ok := poller.(statusReporter); ok {
			out = append(out, r.Status())
		}
	}
	slices.SortFunc(out, func(a, b jd.Status) int {
		return cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.Poller, b.Poller))
	})
	return out
}

// pollerStatus is a poller's status as /readyz shows it; times are RFC
// 3339 in China time, left out while unknown.
type pollerStatus struct {
	Platform    string       `json:"platform"`
	Poller      string       `json:"poller"`
	CoveredTo   string       `json:"covered_to,omitempty"`
	CaughtUpAt  string       `json:"caught_up_at,omitempty"`
	Calls       int64        `json:"calls"`
	Errors      int64        `json:"errors"`
	LastError   string       `json:"last_error,omitempty"`
	LastErrorAt string       `json:"last_error_at,omitempty"`
	LookbackGap *lookbackGap `json:"lookback_gap,omitempty"`
	// PlatformBehindSeconds is how far the platform's clock was last seen
	// behind ours; windows end that much earlier.
	PlatformBehindSeconds float64 `json:"platform_clock_behind_seconds"`
	Stopped               string  `json:"stopped,omitempty"`
}

// lookbackGap is a stretch a poller skipped because the platform does not
// search that far back.
type lookbackGap struct {
	From string `json:"from"`
	To   string `json:"to"`
	Note string `json:"note"`
}

// lookbackNote says what to do about a look-back gap.
const lookbackNote = "the platform does not search this far back: import the orders of this stretch from the platform's export with `loquat import`"

func showStatus(s jd.Status) pollerStatus {
	out := pollerStatus{Platform: s.Platform, Poller: s.Poller, Calls: s.Calls, Errors: s.Errors,
		CoveredTo: showTime(s.CoveredTo), CaughtUpAt: showTime(s.CaughtUpAt),
		LastError: s.LastError, LastErrorAt: showTime(s.LastErrorAt), Stopped: s.Stopped,
		PlatformBehindSeconds: s.PlatformBehind.Seconds()}
	if !s.GapTo.IsZero() {
		out.LookbackGap = &lookbackGap{From: showTime(s.GapFrom), To: showTime(s.GapTo), Note: lookbackNote}
	}
	return out
}

func showTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.ChinaTime).Format(time.RFC3339)
}

// withStatus serves GET /readyz as next does, with every poller's status
// added to the answer as "pollers"; other requests go to next untouched.
// Readiness itself stays next's: a poller that stopped for good already
// makes it not ready.
func (p *polling) withStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.Method != http.MethodGet {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedAnswer{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(buf, r)
		var answer map[string]any
		if err := json.Unmarshal(buf.body.Bytes(), &answer); err != nil {
			buf.flush(w) // not the JSON expected: pass it on as it is
			return
		}
		statuses := []pollerStatus{}
		for _, s := range p.statuses() {
			statuses = append(statuses, showStatus(s))
		}
		answer["pollers"] = statuses
		body, err := json.Marshal(answer)
		if err != nil {
			buf.flush(w)
			return
		}
		for k, v := range buf.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(buf.status)
		_, _ = w.Write(body) // the client reads it or has gone
	})
}

// bufferedAnswer keeps an answer to be amended before it is sent.
type bufferedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedAnswer) Header() http.Header         { return b.header }
func (b *bufferedAnswer) WriteHeader(status int)      { b.status = status }
func (b *bufferedAnswer) Write(p []byte) (int, error) { return b.body.Write(p) }

func (b *bufferedAnswer) flush(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
