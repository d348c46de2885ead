package ingesttest

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Poller is what these checks drive of a poller (ingest.Poller and its
// RunOnce).
type Poller interface {
	Run(ctx context.Context) error
	RunOnce(ctx context.Context) error
}

// WantQuietUntilRun checks the poller build makes for an API that refuses
// every connection: building it touches neither the network nor the cursor
// store and logs nothing; RunOnce then fails after logging its retries, and
// neither its error nor the logs hold secret.
func WantQuietUntilRun(t *testing.T, secret string, build func(apiURL string, cursors *Cursors, logger *slog.Logger) (Poller, error)) {
	t.Helper()
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close() // connection refused from now on
	var logs bytes.Buffer
	cursors := &Cursors{}
	p, err := build(url, cursors, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	MustNoErr(t, err)
	if cursors.Saves() != 0 || logs.Len() != 0 {
		t.Fatal("New touched the cursor store or logged")
	}
	err = p.RunOnce(context.Background())
	if err == nil {
		t.Fatal("want an error from an unreachable API")
	}
	if strings.Contains(logs.String()+err.Error(), secret) {
		t.Errorf("a secret leaked into the logs or the error:\n%s\n%v", logs.String(), err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("want the retry logged, got:\n%s", logs.String())
	}
}

// Outage answers the first n requests HTTP 502, as a platform that is
// down, then lets them through to the handler it wraps.
func Outage(n int32) func(http.Handler) http.Handler {
	var failing atomic.Int32
	failing.Store(n)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if failing.Add(-1) >= 0 {
				http.Error(w, "down", http.StatusBadGateway)
				return
			}
			h.ServeHTTP(w, req)
		})
	}
}

// WantRunCatchesUp runs p.Run until the cursor saved under name is want
// (failing the test after 10s), checks that RunOnce meanwhile is refused
// with busy, then ends Run's context and wants nil from Run.
func WantRunCatchesUp(t *testing.T, p Poller, busy error, cursors *Cursors, name, want string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for cursors.Get(name) != want {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not catch up; cursor %q", cursors.Get(name))
		}
		time.Sleep(time.Millisecond)
	}
	if err := p.RunOnce(context.Background()); !errors.Is(err, busy) {
		t.Errorf("RunOnce during Run: want %v, got %v", busy, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: want nil once its context ends, got %v", err)
	}
}
