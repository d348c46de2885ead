package polling

import (
	"context"
	"sync"
	"time"
	"unicode/utf8"
)

// maxErrorText bounds the last error kept in a Status: it is shown on
// /readyz and as a metric label.
const maxErrorText = 300

// Status is how far a poller has got and how its calls went, for the log,
// metrics and /readyz.
type Status struct {
	Platform string // "jd"
	Poller   string // its cursor's name
	// CoveredTo is the end of the last window read to its end (zero until
	// the cursor was first read).
	CoveredTo time.Time
	// CaughtUpAt is when a step last reached the clock less the safety
	// lag (zero until then).
	CaughtUpAt time.Time
	// Calls are the requests made to the platform's API; Errors those that
	// failed (network, HTTP status, an error answer, an answer that is not
	// a page), each attempt counted.
	Calls, Errors int64
	// LastError is the last failed call's error, LastErrorAt its time.
	LastError   string
	LastErrorAt time.Time
	// Gap is the time the poller skipped because it lies beyond how far
	// back the platform searches (zero when none), from the start of the
	// first stretch skipped to the end of the last: the orders changed then
	// are to be imported from the platform's export (loquat import).
	GapFrom, GapTo time.Time
	// PlatformBehind is how far the platform's clock was last seen behind
	// ours (from its answers' Date); windows end that much earlier.
	PlatformBehind time.Duration
	// Stopped is the error that stopped the poller for good ("" while it
	// runs).
	Stopped string
}

// Progress keeps a poller's Status. It is safe for concurrent use: the
// poller writes it, readers (metrics, /readyz) take copies.
type Progress struct {
	// Clock is the platform's clock as its answers show it; Status reads
	// PlatformBehind from it.
	Clock PlatformClock

	mu sync.Mutex
	s  Status
}

// NewProgress starts the Status of a poller.
func NewProgress(platform, poller string) *Progress {
	return &Progress{s: Status{Platform: platform, Poller: poller}}
}

// Status returns a copy of the status.
func (p *Progress) Status() Status {
	p.mu.Lock()
	s := p.s
	p.mu.Unlock()
	s.PlatformBehind = p.Clock.Behind()
	return s
}

// Counted wraps one call to the platform so that p counts it (Called) as
// of now.
func Counted[V any](ctx context.Context, p *Progress, now func() time.Time, call func() (V, error)) func() (V, error) {
	return func() (V, error) {
		v, err := call()
		p.Called(ctx, err, now())
		return v, err
	}
}

// Called counts one call to the platform and how it ended. A call cut
// short because ctx ended (the poller is stopping) is not an error of the
// platform's and is not counted at all.
func (p *Progress) Called(ctx context.Context, err error, now time.Time) {
	if err != nil && ctx.Err() != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Calls++
	if err != nil {
		p.s.Errors++
		p.s.LastError, p.s.LastErrorAt = truncate(err.Error(), maxErrorText), now
	}
}

// Covered records the end of the last window read to its end.
func (p *Progress) Covered(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.CoveredTo = t
}

// CaughtUp records that a step reached the clock less the safety lag.
func (p *Progress) CaughtUp(at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.CaughtUpAt = at
}

// Skipped records a stretch skipped as beyond the platform's look-back.
// The gap runs from the start of the first stretch skipped to the end of
// the last: a catch-up slower than the limit moves skips again just after
// the first, and the gap must still say where the orders to import begin.
// It may then hold stretches that were polled too; importing those again
// is harmless, their events having the same ids.
func (p *Progress) Skipped(from, to time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.s.GapTo.IsZero() || from.Before(p.s.GapFrom) {
		p.s.GapFrom = from
	}
	if to.After(p.s.GapTo) {
		p.s.GapTo = to
	}
}

// Stop records the error that stopped the poller for good.
func (p *Progress) Stop(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.Stopped = truncate(err.Error(), maxErrorText)
}

// truncate bounds s to max bytes, cut at a rune boundary.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
