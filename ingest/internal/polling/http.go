package polling

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// HTTP makes a poller's requests. It is safe for concurrent use.
type HTTP struct {
	Client *http.Client
	// Timeout bounds each request, whatever Client's own Timeout.
	Timeout time.Duration
	// MaxAnswer bounds the bytes read of one answer; the rest is not read.
	MaxAnswer int64
	// Clock, when not nil, is told each answer's Date as of Now.
	Clock *PlatformClock
	Now   func() time.Time
}

// Request is one request to the platform's API.
type Request struct {
	Method string
	URL    string
	// Name stands for the URL in errors ("jingdong.pop.order.search",
	// "/open/order/cursor/list"): the URL may carry the access token.
	Name string
	// Body is sent with ContentType; nil sends none.
	Body        io.Reader
	ContentType string
}

// Call makes r and returns the answer's body when the platform answered
// HTTP 200; what the body says is the platform's to read. A network error,
// a timeout, HTTP 5xx or 429 may pass and are worth another attempt; any
// other status, or a request that cannot be built, is Permanent.
func (h HTTP) Call(ctx context.Context, r Request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, r.Body)
	if err != nil {
		return nil, Permanent{Err: err}
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := h.Client.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, access token and all: keep only its
		// cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("%s %s: %w", r.Method, r.Name, ue.Err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if h.Clock != nil && h.Now != nil {
		h.Clock.Observe(resp.Header, h.Now())
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, h.MaxAnswer))
	if err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, Permanent{Err: fmt.Errorf("HTTP %d", resp.StatusCode)}
	}
	return body, nil
}
