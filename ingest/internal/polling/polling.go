// Package polling is what the order pollers (ingest/jd, ingest/kuaishou)
// share: the loop that runs a poller's steps until it has caught up, the
// retries of one API call and the HTTP exchange under it, the mark of a
// failure no retry can cure and of an answer that is not a page, the
// settings every poller has, its credentials, where it keeps what it reads
// (Store) and its memory of each order's state. The platform's own API,
// request signing, answer shapes, windows and cursors stay in its package.
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
	// Interval is the wait after a failed step or once caught up.
	Interval time.Duration
	Logger   *slog.Logger
	// Target is where polling is to catch up to, as of now.
	Target func() T
	// Step polls once towards target and reports whether it is reached.
	// Steps never overlap, so what only they use needs no lock of its own.
	Step func(ctx context.Context, target T) (caughtUp bool, err error)
	// Busy is what Run and RunOnce return, at once, while another Run or
	// RunOnce of the loop is under way (the poller's ErrRunning).
	Busy error

	running sync.Mutex // held by Run and RunOnce
}

// Run steps until ctx ends, then returns nil. A failure that retrying may
// cure is logged and the step is taken again after Interval; a Permanent one
// ends Run with its error.
func (l *Loop[T]) Run(ctx context.Context) error {
	if !l.running.TryLock() {
		return l.Busy
	}
	defer l.running.Unlock()
	for {
		caughtUp, err := l.Step(ctx, l.Target())
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if IsPermanent(err) {
				l.Logger.LogAttrs(ctx, slog.LevelError, l.Name+" poller stopped", slog.String("err", err.Error()))
				return fmt.Errorf("%s: %w", l.Name, err)
			}
			l.Logger.LogAttrs(ctx, slog.LevelWarn, l.Name+" poll failed, will retry", slog.String("err", err.Error()), slog.Duration("retry_in", l.Interval))
		}
		if err != nil || caughtUp {
			t := time.NewTimer(l.Interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
	}
}

// RunOnce steps until the target as it stood when RunOnce began is reached.
// Any failure ends it with an error (ctx's among them).
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
			return nil
		}
	}
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
