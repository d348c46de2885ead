package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/platforms"
	"github.com/loquat-dev/loquat/internal/platforms/platformtest"
	"github.com/loquat-dev/loquat/projections"
)

// The one line that adds a platform, here to this test binary only (the
// other tests of this package run the loquat binary, which has not got it).
func init() { platforms.Register(platformtest.Registration) }

// syncBuffer is a strings.Builder safe to write from serve while read here.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRegisteredPlatformIsServedAndPolled: a platform registered by its one
// line gets its flags on serve, ingest and nothing else, and serve polls it
// over HTTP with the key given, and projects what it polled.
func TestRegisteredPlatformIsServedAndPolled(t *testing.T) {
	root := newRootCommand()
	for _, c := range root.Commands() {
		_, ingests := map[string]bool{"serve": true, "ingest": true}[c.Name()]
		if got := c.Flags().Lookup("acme-app-key") != nil; got != ingests {
			t.Errorf("loquat %s has --acme-app-key: %v, want %v", c.Name(), got, ingests)
		}
	}

	paid := time.Date(2020, 4, 30, 20, 0, 0, 0, domain.ChinaTime)
	polls := make(chan string, 100)
	platform := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case polls <- r.URL.Path + "?" + r.URL.RawQuery:
		default:
		}
		json.NewEncoder(w).Encode([]platformtest.Order{{OrderID: "A-1", SKUID: "SKU-1", AmountFen: 1234, PaidAt: paid}})
	}))
	defer platform.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	root.SetOut(out)
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0", "--log-level", "warn",
		"--acme-app-key", "key-1", "--acme-api-url", platform.URL})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()

	select {
	case got := <-polls:
		if got != "/orders?app_key=key-1" {
			t.Errorf("the platform was asked %q, want /orders?app_key=key-1", got)
		}
	case err := <-done:
		done <- err
		t.Fatalf("serve ended before polling: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("serve did not poll the registered platform within a minute")
	}

	deadline := time.Now().Add(time.Minute)
	for {
		if url := servingURL(out.String()); url != "" {
			var ov projections.Overview
			if err := getJSON(url+"/api/v1/overview", &ov); err == nil && ov.Orders > 0 {
				if ov.Orders != 1 || ov.GMVFen != 1234 {
					t.Errorf("overview: %d orders, GMV %d fen; want the polled order, 1234 fen", ov.Orders, ov.GMVFen)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the polled order was not projected within a minute; serve said:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// servingURL is the URL in serve's "is serving on URL." line, or "".
func servingURL(out string) string {
	_, rest, ok := strings.Cut(out, "serving on ")
	if !ok || len(strings.Fields(rest)) == 0 {
		return ""
	}
	return strings.TrimSuffix(strings.Fields(rest)[0], ".")
}

func getJSON(url string, out any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(out)
}
