package polling

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunRestsAfterRunOnce: a Run right after a RunOnce that caught up
// (how a node starts its pollers) rests its Interval first instead of
// polling the few moments the clock moved meanwhile.
func TestRunRestsAfterRunOnce(t *testing.T) {
	var steps atomic.Int32
	l := &Loop[int]{Name: "test", Interval: time.Hour, Logger: slog.New(slog.DiscardHandler), Target: func() int { return 0 },
		Step: func(context.Context, int) (bool, error) { steps.Add(1); return true, nil }}
	if err := l.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := steps.Load(); got != 1 {
		t.Errorf("%d steps; want only RunOnce's: Run rests the Interval first", got)
	}
}

// TestRunBacksOffFailures: failed steps in a row wait longer and longer
// (a platform that rate-limits or is down is asked less and less), up to
// maxFailureWaits Intervals; a success resets the wait.
func TestRunBacksOffFailures(t *testing.T) {
	var steps atomic.Int32
	var logs strings.Builder
	l := &Loop[int]{Name: "test", Interval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Target: func() int { return 0 },
		Step: func(context.Context, int) (bool, error) { steps.Add(1); return false, errors.New("rate limited") }}
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	if err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Waits of 10, 20, 40, 80, 80, … ms: about 10 steps in 600ms; a fixed
	// 10ms wait takes about 60.
	if got := steps.Load(); got < 3 || got > 20 {
		t.Errorf("%d steps in 600ms of failures; want the waits to double up to 80ms (about 10)", got)
	}
	for _, want := range []string{"retry_in=10ms", "retry_in=20ms", "retry_in=40ms", "retry_in=80ms"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), "retry_in=160ms") {
		t.Errorf("a wait beyond %d Intervals:\n%s", maxFailureWaits, logs.String())
	}
}

func TestProgress(t *testing.T) {
	p := NewProgress("jd", "shop-1")
	at := time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	p.Called(ctx, nil, at)
	p.Called(ctx, errors.New("HTTP 503"), at)
	p.Called(ctx, errors.New(strings.Repeat("错", 200)), at.Add(time.Second))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	p.Called(cancelled, context.Canceled, at.Add(2*time.Second)) // stopping: not the platform's failure
	p.Covered(at.Add(-time.Minute))
	s := p.Status()
	if s.Platform != "jd" || s.Poller != "shop-1" || s.Calls != 3 || s.Errors != 2 || !s.LastErrorAt.Equal(at.Add(time.Second)) || !s.CoveredTo.Equal(at.Add(-time.Minute)) {
		t.Errorf("status %+v: want 3 calls, 2 errors, the last at %s, covered to %s", s, at.Add(time.Second), at.Add(-time.Minute))
	}
	if len(s.LastError) > maxErrorText+len("…") || !strings.HasSuffix(s.LastError, "…") || !strings.HasPrefix(s.LastError, "错错") {
		t.Errorf("last error %q (%d bytes): want it cut at a rune boundary to %d bytes, marked", s.LastError, len(s.LastError), maxErrorText)
	}
}

func TestLookbackClamp(t *testing.T) {
	now := time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC)
	p := NewProgress("kuaishou", "kuaishou")
	l := Lookback{Platform: "kuaishou", Max: 90 * 24 * time.Hour, Logger: slog.New(slog.DiscardHandler), Progress: p}
	floor := now.Add(-90*24*time.Hour + LookbackMargin)
	for _, tt := range []struct {
		begin       time.Time
		want        time.Time
		wantClamped bool
	}{
		{now.Add(-24 * time.Hour), now.Add(-24 * time.Hour), false},
		{floor, floor, false},
		{floor.Add(-time.Millisecond), floor, true},
		{now.AddDate(-1, 0, 0), floor, true},
	} {
		got, clamped := l.Clamp(context.Background(), tt.begin, now)
		if !got.Equal(tt.want) || clamped != tt.wantClamped {
			t.Errorf("Clamp(%s) = %s, %t; want %s, %t", tt.begin, got, clamped, tt.want, tt.wantClamped)
		}
	}
	if s := p.Status(); !s.GapFrom.Equal(now.AddDate(-1, 0, 0)) || !s.GapTo.Equal(floor) {
		t.Errorf("gap %s – %s, want the last clamp's %s – %s", s.GapFrom, s.GapTo, now.AddDate(-1, 0, 0), floor)
	}
	// A catch-up slower than the limit moves is clamped again just after
	// the floor: the gap grows, still from where it began.
	later := now.Add(2 * time.Hour)
	l.Clamp(context.Background(), floor.Add(time.Minute), later)
	if s := p.Status(); !s.GapFrom.Equal(now.AddDate(-1, 0, 0)) || !s.GapTo.Equal(l.Floor(later)) {
		t.Errorf("gap %s – %s after a second clamp, want %s – %s", s.GapFrom, s.GapTo, now.AddDate(-1, 0, 0), l.Floor(later))
	}
	// A stretch apart from it (a poller stopped for months again) extends
	// it too: the gap may cover what was polled, never lose its start.
	muchLater := now.AddDate(1, 0, 0)
	l.Clamp(context.Background(), later, muchLater)
	if s := p.Status(); !s.GapFrom.Equal(now.AddDate(-1, 0, 0)) || !s.GapTo.Equal(l.Floor(muchLater)) {
		t.Errorf("gap %s – %s after a new stretch, want %s – %s", s.GapFrom, s.GapTo, now.AddDate(-1, 0, 0), l.Floor(muchLater))
	}
}
