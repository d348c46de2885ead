package polling

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHTTPCall(t *testing.T) {
	tests := []struct {
		name          string
		status        int
		body          string
		wantBody      string
		wantErr       string // "" for none
		wantPermanent bool
	}{
		{name: "200: the body, whatever it says", status: 200, body: `{"error":"the platform's"}`, wantBody: `{"error":"the platform's"}`},
		{name: "body bounded", status: 200, body: strings.Repeat("x", 40), wantBody: strings.Repeat("x", 32)},
		{name: "500 may pass", status: 500, wantErr: "HTTP 500"},
		{name: "503 may pass", status: 503, wantErr: "HTTP 503"},
		{name: "429 may pass", status: 429, wantErr: "HTTP 429"},
		{name: "404 is permanent", status: 404, wantErr: "HTTP 404", wantPermanent: true},
		{name: "302 is permanent", status: 302, wantErr: "HTTP 302", wantPermanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			var gotBody string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got, gotBody = r, string(b)
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			// No redirects followed: a 3xx is an answer like any other.
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			h := HTTP{Client: client, Timeout: 5 * time.Second, MaxAnswer: 32}
			body, err := h.Call(context.Background(), Request{
				Method: http.MethodPost, URL: srv.URL + "/api", Name: "the.method",
				Body: strings.NewReader("a=1"), ContentType: "application/x-www-form-urlencoded",
			})
			if tt.wantErr == "" {
				if err != nil || string(body) != tt.wantBody {
					t.Errorf("= %q, %v; want %q", body, err, tt.wantBody)
				}
			} else if err == nil || err.Error() != tt.wantErr || IsPermanent(err) != tt.wantPermanent {
				t.Errorf("error %v (permanent %t), want %q (permanent %t)", err, IsPermanent(err), tt.wantErr, tt.wantPermanent)
			}
			if got.Method != http.MethodPost || gotBody != "a=1" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || got.Header.Get("Accept") != "application/json" {
				t.Errorf("request %s %q, headers %v", got.Method, gotBody, got.Header)
			}
		})
	}
}

func TestHTTPCallFailures(t *testing.T) {
	t.Run("a transport error names the request, not the URL", func(t *testing.T) {
		dead := httptest.NewServer(nil)
		url := dead.URL + "/list?access_token=s3cr3t"
		dead.Close()
		h := HTTP{Client: &http.Client{}, Timeout: 5 * time.Second, MaxAnswer: 1 << 10}
		_, err := h.Call(context.Background(), Request{Method: http.MethodGet, URL: url, Name: "/list"})
		if err == nil || IsPermanent(err) || strings.Contains(err.Error(), "s3cr3t") || !strings.HasPrefix(err.Error(), "GET /list: ") {
			t.Errorf("error %v: want a passing failure naming GET /list, without the URL", err)
		}
	})
	t.Run("the timeout bounds the request", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
		defer srv.Close()
		defer close(release)
		h := HTTP{Client: &http.Client{}, Timeout: 20 * time.Millisecond, MaxAnswer: 1 << 10}
		_, err := h.Call(context.Background(), Request{Method: http.MethodGet, URL: srv.URL, Name: "slow"})
		if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
			t.Errorf("error %v: want a passing deadline failure", err)
		}
	})
	t.Run("a request that cannot be built is permanent", func(t *testing.T) {
		h := HTTP{Client: &http.Client{}, Timeout: time.Second, MaxAnswer: 1 << 10}
		_, err := h.Call(context.Background(), Request{Method: "BAD METHOD", URL: "http://example.com", Name: "bad"})
		if err == nil || !IsPermanent(err) {
			t.Errorf("error %v: want a permanent failure", err)
		}
	})
}
