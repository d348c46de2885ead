package polling

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestDo(t *testing.T) {
	errFlaky := errors.New("flaky")
	tests := []struct {
		name        string
		failures    []error // what the calls return before succeeding
		wantCalls   int
		wantErr     error
		wantRetries int
	}{
		{"first call succeeds", nil, 1, nil, 0},
		{"retried until it succeeds", []error{errFlaky, errFlaky}, 3, nil, 2},
		{"permanent: no retry", []error{Permanent{Err: errFlaky}}, 1, errFlaky, 0},
		{"gives up after MaxAttempts", []error{errFlaky, errFlaky, errFlaky, errFlaky}, 3, errFlaky, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, retries := 0, 0
			var waits []time.Duration
			v, err := Do(context.Background(), Retry{MaxAttempts: 3, Backoff: time.Millisecond, MaxBackoff: 3 * time.Millisecond},
				func(_ int, backoff time.Duration, _ error) { retries++; waits = append(waits, backoff) },
				func() (int, error) {
					calls++
					if calls <= len(tt.failures) {
						return 0, tt.failures[calls-1]
					}
					return 42, nil
				})
			if calls != tt.wantCalls || retries != tt.wantRetries {
				t.Errorf("%d calls, %d retries; want %d, %d", calls, retries, tt.wantCalls, tt.wantRetries)
			}
			if tt.wantErr == nil && (err != nil || v != 42) {
				t.Errorf("= %d, %v; want 42", v, err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %v, want %v", err, tt.wantErr)
			}
			for i := 1; i < len(waits); i++ {
				if waits[i] != min(2*waits[i-1], 3*time.Millisecond) {
					t.Errorf("waits %v do not double up to the bound", waits)
				}
			}
		})
	}
	t.Run("ctx ends during the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		_, err := Do(ctx, Retry{MaxAttempts: 5, Backoff: time.Hour, MaxBackoff: time.Hour},
			func(int, time.Duration, error) { cancel() },
			func() (int, error) { return 0, errFlaky })
		if !errors.Is(err, context.Canceled) || !errors.Is(err, errFlaky) || !strings.Contains(err.Error(), "after 1 attempts") {
			t.Errorf("error %v, want the cancellation and the last failure", err)
		}
	})
}

func TestLoop(t *testing.T) {
	discard := slog.New(slog.DiscardHandler)
	t.Run("RunOnce steps to the target it began with", func(t *testing.T) {
		target, steps := 3, 0
		l := &Loop[int]{Name: "test", Logger: discard, Target: func() int { return target },
			Step: func(_ context.Context, to int) (bool, error) {
				steps++
				target++ // the clock moves on; RunOnce does not chase it
				return steps >= to, nil
			}}
		if err := l.RunOnce(context.Background()); err != nil || steps != 3 {
			t.Errorf("RunOnce: %v after %d steps, want 3", err, steps)
		}
	})
	t.Run("Run retries a passing failure and stops on a permanent one", func(t *testing.T) {
		steps := 0
		l := &Loop[int]{Name: "test", Interval: time.Millisecond, Logger: discard, Target: func() int { return 0 },
			Step: func(context.Context, int) (bool, error) {
				steps++
				if steps < 3 {
					return false, errors.New("network")
				}
				return false, Permanent{Err: errors.New("bad signature")}
			}}
		err := l.Run(context.Background())
		if steps != 3 || err == nil || !strings.HasPrefix(err.Error(), "test: ") || !IsPermanent(err) {
			t.Errorf("Run: %v after %d steps; want the permanent failure after 3", err, steps)
		}
	})
	t.Run("Run returns nil when ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		l := &Loop[int]{Name: "test", Interval: time.Hour, Logger: discard, Target: func() int { return 0 },
			Step: func(context.Context, int) (bool, error) { cancel(); return true, nil }}
		if err := l.Run(ctx); err != nil {
			t.Errorf("Run: %v, want nil", err)
		}
	})
}

func TestLoopOneRunAtATime(t *testing.T) {
	errBusy := errors.New("busy")
	started, release := make(chan struct{}), make(chan struct{})
	l := &Loop[int]{Name: "test", Interval: time.Hour, Logger: slog.New(slog.DiscardHandler), Busy: errBusy, Target: func() int { return 0 },
		Step: func(context.Context, int) (bool, error) {
			close(started)
			<-release
			return true, nil
		}}
	done := make(chan error, 1)
	go func() { done <- l.RunOnce(context.Background()) }()
	<-started
	if err := l.Run(context.Background()); err != errBusy {
		t.Errorf("Run during RunOnce: %v, want Busy", err)
	}
	if err := l.RunOnce(context.Background()); err != errBusy {
		t.Errorf("RunOnce during RunOnce: %v, want Busy", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("RunOnce: %v", err)
	}
	l.Step = func(context.Context, int) (bool, error) { return true, nil }
	if err := l.RunOnce(context.Background()); err != nil {
		t.Errorf("RunOnce after the first ended: %v", err)
	}
}

type answerErr struct{ temporary bool }

func (e answerErr) Error() string   { return "refused" }
func (e answerErr) Temporary() bool { return e.temporary }

func TestRefused(t *testing.T) {
	for _, tt := range []struct {
		err           answerErr
		wantPermanent bool
	}{{answerErr{temporary: true}, false}, {answerErr{temporary: false}, true}} {
		err := Refused(tt.err)
		var got answerErr
		if IsPermanent(err) != tt.wantPermanent || !errors.As(err, &got) {
			t.Errorf("Refused(temporary %t) = %v: permanent %t, want %t, and the answer kept", tt.err.temporary, err, IsPermanent(err), tt.wantPermanent)
		}
	}
}

func TestOrderAndPageErrors(t *testing.T) {
	problem := errors.New("price is missing")
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&OrderError{Platform: "jd", IDName: "orderId", ID: "1001", Err: problem}, "jd order 1001: price is missing"},
		{&OrderError{Platform: "kuaishou", IDName: "oid", Err: problem}, "kuaishou order without oid: price is missing"},
		{&BadPage{Raw: []byte("<html>"), Err: problem}, "price is missing"},
	} {
		if tt.err.Error() != tt.want {
			t.Errorf("%q, want %q", tt.err.Error(), tt.want)
		}
	}
	if !errors.Is(&BadPage{Err: problem}, problem) {
		t.Error("BadPage does not unwrap to its cause")
	}
}
