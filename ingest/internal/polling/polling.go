// Package polling is what the order pollers (ingest/jd, ingest/kuaishou)
// share: the loop that runs a poller's steps until it has caught up, the
// retries of one API call, and the mark of a failure no retry can cure. The
// platform's own API, windows and cursors stay in its package.
package polling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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

// Loop runs a poller's steps. T is how the platform states how far to
// catch up (a time, Unix milliseconds).
type Loop[T any] struct {
	// Name starts the loop's errors and log messages ("jd").
	Name string
	// Interval is the wait after a failed step or once caught up.
	Interval time.Duration
	Logger   *slog.Logger
	// Target is where polling is to catch up to, as of now.
	Target func() T
	// Step polls once towards target and reports whether it is reached.
	Step func(ctx context.Context, target T) (caughtUp bool, err error)
}

// Run steps until ctx ends, then returns nil. A failure that retrying may
// cure is logged and the step is taken again after Interval; a Permanent one
// ends Run with its error.
func (l *Loop[T]) Run(ctx context.Context) error {
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

// Settings are the settings every poller has, checked alike by Check.
type Settings struct {
	Platform        string // starts every error: "jd"
	APIBaseURL      string
	Name            string
	PageSize        int
	MaxPageSize     int
	Window          time.Duration
	Overlap         time.Duration
	Interval        time.Duration
	SafetyLag       time.Duration
	HTTPTimeout     time.Duration
	MaxAttempts     int
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	StateMemory     int
	Now             func() time.Time
	Start           time.Time
	HTTPClient      *http.Client
}

// Check reports every problem of the settings, each naming its field as the
// configuration file does.
func (s Settings) Check() []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(s.Platform+": "+format, args...))
	}
	if u, err := url.Parse(s.APIBaseURL); err != nil {
		fail("api_base_url: %w", err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("api_base_url %q is not an http(s) URL", s.APIBaseURL)
	}
	if s.Name == "" {
		fail("name is empty")
	}
	if s.PageSize < 1 || s.PageSize > s.MaxPageSize {
		fail("page_size is %d, must be 1 to %d", s.PageSize, s.MaxPageSize)
	}
	if s.Window < time.Second {
		fail("window is %s, must be at least 1s", s.Window)
	}
	if s.Overlap < 0 {
		fail("overlap is %s, must not be negative", s.Overlap)
	}
	if s.Interval <= 0 {
		fail("interval is %s, must be positive", s.Interval)
	}
	if s.SafetyLag < 0 {
		fail("safety_lag is %s, must not be negative", s.SafetyLag)
	}
	if s.HTTPTimeout <= 0 {
		fail("http_timeout is %s, must be positive", s.HTTPTimeout)
	}
	if s.MaxAttempts < 1 {
		fail("max_attempts is %d, must be at least 1", s.MaxAttempts)
	}
	if s.RetryBackoff <= 0 || s.MaxRetryBackoff < s.RetryBackoff {
		fail("retry_backoff %s and max_retry_backoff %s must be positive, the first not above the second", s.RetryBackoff, s.MaxRetryBackoff)
	}
	if s.StateMemory < 1 {
		fail("state_memory is %d, must be at least 1", s.StateMemory)
	}
	if s.Now == nil {
		fail("now is nil")
	}
	if s.Start.IsZero() {
		fail("start is zero")
	}
	if s.HTTPClient == nil {
		fail("http_client is nil")
	}
	return errs
}
