// Package polling is what the order pollers (ingest/jd, ingest/kuaishou)
// share: the loop that runs a poller's steps until it has caught up and
// rests once it has, the retries of one API call and the HTTP exchange
// under it, the mark of a failure no retry can cure and of an answer that
// is not a page, the settings every poller has, its credentials, where it
// keeps what it reads (Store), how it maps, dead-letters and appends a
// page's orders (Orders) with its memory of each order's state, how far it
// has got (Progress, Status), the platform's look-back (Lookback) and the
// platform's clock as its answers show it (PlatformClock). The platform's
// own API, request signing, answer shapes, windows and cursors stay in its
// package.
package polling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Permanent marks a failure that another attempt would repeat: a rejected
// signature, key, token or parameter, or a cursor that cannot be read.
type Permanent struct{ Err error }

func (e Permanent) Error() string { return e.Err.Error() }
func (e Permanent) Unwrap() error { return e.Err }

// IsPermanent reports whether err is, or wraps, a Permanent.
func IsPermanent(err error) bool {
	var perm Permanent
	return errors.As(err, &perm)
}

// Refused is what a platform's error answer e is to the poller: worth
// another attempt when e is Temporary (a rate limit, a busy backend), else
// Permanent (a rejected signature, key, token or parameter).
func Refused(e interface {
	error
	Temporary() bool
}) error {
	if e.Temporary() {
		return e
	}
	return Permanent{Err: e}
}

// BadPage is an answer that is not a page of the platform's API (not JSON,
// or without the fields a page has). Retrying may cure it like any other
// passing failure; once the attempts are used up the poller keeps Raw as a
// dead letter.
type BadPage struct {
	Raw []byte
	Err error
}

func (e *BadPage) Error() string { return e.Err.Error() }
func (e *BadPage) Unwrap() error { return e.Err }

// Loop runs a poller's steps, one Run or RunOnce at a time. T is how the
// platform states how far to catch up (a time, Unix milliseconds).
type Loop[T any] struct {
	// Name starts the loop's errors and log messages ("jd").
	Name string
	// Interval is the wait once caught up, and the first wait after a
	// failed step; each further failed step in a row doubles it, up to
	// maxFailureWaits times Interval, so that a platform that rate-limits
	// or is down is asked less and less often.
	Interval time.Duration
	Logger   *slog.Logger
	// Progress is told when a step catches up and when the loop stops for
	// good; nil tells no one.
	Progress *Progress
	// Now stamps Progress; default time.Now.
	Now func() time.Time
	// Target is where polling is to catch up to, as of now.
	Target func() T
	// Step polls once towards target and reports whether it caught up:
	// whether what it read reached target, or nothing was due before it.
	// A step that read a window ending at target must report true: the
	// target moves with the clock, so a loop that stepped again at once
	// would poll the last moments over and over instead of resting.
	// Steps never overlap, so what only they use needs no lock of its own.
	Step func(ctx context.Context, target T) (caughtUp bool, err error)
	// Busy is what Run and RunOnce return, at once, while another Run or
	// RunOnce of the loop is under way (the poller's ErrRunning).
	Busy error

	running sync.Mutex // held by Run and RunOnce
	// restUntil is when the rest after a RunOnce that caught up ends (wall
	// clock): a Run right after it rests first.
	restUntil time.Time
}

// maxFailureWaits bounds the wait after failed steps in a row: at most
// this many Intervals.
const maxFailureWaits = 8

// Run steps until ctx ends, then returns nil. Once caught up it waits
// Interval before the next step. A failure that retrying may cure is
// logged and the step is taken again after a wait that grows with the
// failures in a row; a Permanent one ends Run with its error.
func (l *Loop[T]) Run(ctx context.Context) error {
	if !l.running.TryLock() {
		return l.Busy
	}
	defer l.running.Unlock()
	if !l.rest(ctx, time.Until(l.restUntil)) {
		return nil
	}
	failures := 0
	for {
		caughtUp, err := l.Step(ctx, l.Target())
		if ctx.Err() != nil {
			return nil
		}
		wait := time.Duration(0)
		switch {
		case err != nil && IsPermanent(err):
			l.Logger.LogAttrs(ctx, slog.LevelError, l.Name+" poller stopped", slog.String("err", err.Error()))
			if l.Progress != nil {
				l.Progress.Stop(err)
			}
			return fmt.Errorf("%s: %w", l.Name, err)
		case err != nil:
			failures++
			wait = l.Interval * time.Duration(min(1<<(failures-1), maxFailureWaits))
			l.Logger.LogAttrs(ctx, slog.LevelWarn, l.Name+" poll failed, will retry", slog.String("err", err.Error()),
				slog.Int("failures_in_row", failures), slog.Duration("retry_in", wait))
		case caughtUp:
			failures = 0
			wait = l.Interval
			l.caughtUp()
		default:
			failures = 0
		}
		if !l.rest(ctx, wait) {
			return nil
		}
	}
}

// rest waits d and reports whether ctx is still alive.
func (l *Loop[T]) rest(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// RunOnce steps until the target as it stood when RunOnce began is reached.
// Any failure ends it with an error (ctx's among them). A Run begun within
// Interval after it caught up rests until Interval has passed.
func (l *Loop[T]) RunOnce(ctx context.Context) error {
	if !l.running.TryLock() {
		return l.Busy
	}
	defer l.running.Unlock()
	target := l.Target()
	for {
		caughtUp, err := l.Step(ctx, target)
		if err != nil {
			return fmt.Errorf("%s: %w", l.Name, err)
		}
		if caughtUp {
			l.caughtUp()
			l.restUntil = time.Now().Add(l.Interval)
			return nil
		}
	}
}

func (l *Loop[T]) caughtUp() {
	if l.Progress == nil {
		return
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	l.Progress.CaughtUp(now())
}

// Retry is how one API call is retried.
type Retry struct {
	MaxAttempts int
	Backoff     time.Duration // the first wait, doubling
	MaxBackoff  time.Duration
}

// Do calls do until it succeeds, fails Permanent, or MaxAttempts calls
// failed, waiting with exponential backoff in between; logRetry is told of
// each retry. When ctx ends during a wait, the error says so and carries
// the last failure.
func Do[V any](ctx context.Context, r Retry, logRetry func(attempt int, backoff time.Duration, err error), do func() (V, error)) (V, error) {
	backoff := r.Backoff
	for attempt := 1; ; attempt++ {
		v, err := do()
		if err == nil {
			return v, nil
		}
		if IsPermanent(err) || attempt >= r.MaxAttempts || ctx.Err() != nil {
			return v, err
		}
		logRetry(attempt, backoff, err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return v, fmt.Errorf("%w (after %d attempts: %w)", ctx.Err(), attempt, err)
		case <-t.C:
		}
		backoff = min(2*backoff, r.MaxBackoff)
	}
}

// OrderError says why one order of a page cannot be used. Its text, the
// dead letter's reason, names the order and the problem only, so the same
// bad order read again (an overlap, another pass, a restart) is the same
// dead letter.
type OrderError struct {
	Platform string // "jd"
	IDName   string // the id's name in the platform's answers: "orderId"
	ID       string // "" when the order has none
	Err      error
}

func (e *OrderError) Error() string {
	if e.ID == "" {
		return e.Platform + " order without " + e.IDName + ": " + e.Err.Error()
	}
	return e.Platform + " order " + e.ID + ": " + e.Err.Error()
}
