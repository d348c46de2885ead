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
