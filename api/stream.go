package api

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/live"
	"github.com/loquat-dev/loquat/projections"
)

// StreamOptions configures GET /api/v1/stream.
type StreamOptions struct {
	// Hub says when the projector committed; nil answers the stream with
	// 503 (no projector to follow).
	Hub *live.Hub
	// MinInterval is the least time between two messages to one client:
	// commits in between are coalesced into the next message. Default
	// 250ms (at most 4 a second).
	MinInterval time.Duration
	// Ping is how often an idle stream sends a ": ping" comment, so
	// proxies keep it open and a dead client is found. Default 15s.
	Ping time.Duration
	// WriteTimeout is how long one message may take to leave: a client
	// whose connection does not drain that fast (its socket buffers are
	// full) is dropped. Default 10s.
	WriteTimeout time.Duration
	// SendBuffer bounds the kernel's send buffer of a stream's connection
	// (HTTP/1.x, served with ConnContext), so that a stalled client holds
	// that much, not the several MiB Linux would grow it to, and is found
	// stalled once it is full. Default 32 KiB; negative leaves it alone.
	SendBuffer int
}

// connKey is where ConnContext puts the connection in a request's context.
type connKey struct{}

// ConnContext is http.Server.ConnContext for a server that serves the
// stream: it lets the stream bound its connection's send buffer.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// boundSendBuffer applies SendBuffer to the request's connection, if it
// is HTTP/1.x over TCP (an HTTP/2 connection carries other requests too).
func boundSendBuffer(r *http.Request, size int) {
	if size <= 0 || r.ProtoMajor != 1 {
		return
	}
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if t, ok := c.(*tls.Conn); ok {
		c = t.NetConn()
	}
	if t, ok := c.(*net.TCPConn); ok {
		t.SetWriteBuffer(size)
	}
}

func (o *StreamOptions) setDefaults() {
	if o.MinInterval == 0 {
		o.MinInterval = 250 * time.Millisecond
	}
	if o.Ping == 0 {
		o.Ping = 15 * time.Second
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.SendBuffer == 0 {
		o.SendBuffer = 32 << 10
	}
}

var (
	paramPage = param{"page", func(q *query, v string) error {
		switch v {
		case pageOverview, pageLivestream, pageEnterprise:
			q.page = v
			return nil
		}
		return errors.New("is not a page: give overview, livestream or enterprise")
	}}
	paramStreamID = param{"id", func(q *query, v string) error { return parseID(&q.streamID, v) }}
	streamParams  = params([]param{paramPage, paramStreamID}, periodParams)
)

const (
	pageOverview   = "overview"
	pageLivestream = "livestream"
	pageEnterprise = "enterprise"
)

// figuresKey is what one stream shows: clients with the same key share
// one computation per commit.
type figuresKey struct {
	page, id string
	period   projections.Period
	scope    projections.Scope
}

// figures is the latest body computed for a key. mu is held while one
// client computes it; the others with the key wait and take the result.
type figures struct {
	mu   sync.Mutex
	refs int // guarded by streamer.mu
	seq  uint64
	msg  []byte // the SSE message carrying them, formatted once for all clients
}

// streamer serves the streams; it is safe for concurrent use.
type streamer struct {
	opts    StreamOptions
	mu      sync.Mutex
	figures map[figuresKey]*figures
}

func newStreamer(o StreamOptions) *streamer {
	o.setDefaults()
	return &streamer{opts: o, figures: map[figuresKey]*figures{}}
}

func (s *streamer) acquire(k figuresKey) *figures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.figures[k]
	if f == nil {
		f = &figures{}
		s.figures[k] = f
	}
	f.refs++
	return f
}

func (s *streamer) release(k figuresKey, f *figures) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.refs--; f.refs == 0 {
		delete(s.figures, k)
	}
}

// at returns the figures as of sequence seq or later, computing them
// unless another client of the key already has.
// The message is shared: callers only write it.
func (f *figures) at(ctx context.Context, seq uint64, compute func(context.Context) (any, error)) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.msg != nil && f.seq >= seq {
		return f.msg, nil
	}
	out, err := compute(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(out) // one line: the body the matching GET answers
	if err != nil {
		return nil, err
	}
	f.seq, f.msg = seq, message(seq, body)
	return f.msg, nil
}

// compute returns how the stream's page is answered: by the scoped query
// of the matching GET.
func (h *handlers) compute(c *gin.Context, q query) (func(context.Context) (any, error), error) {
	scope := h.scope(c)
	switch q.page {
	case pageOverview:
		if q.streamID != "" {
			return nil, badRequest("page=overview takes no id")
		}
		return func(ctx context.Context) (any, error) { return h.q.ScopedOverview(ctx, scope, q.period) }, nil
	case pageEnterprise:
		if q.streamID == "" {
			return nil, badRequest("page=enterprise needs id (the enterprise's)")
		}
		return func(ctx context.Context) (any, error) { return h.q.ScopedEnterprise(ctx, scope, q.streamID, q.period) }, nil
	case pageLivestream:
		if q.streamID == "" {
			return nil, badRequest("page=livestream needs id (platform:room)")
		}
		if q.period != (projections.Period{}) {
			return nil, badRequest("page=livestream takes no from or to: a livestream is one session")
		}
		return func(ctx context.Context) (any, error) { return h.q.ScopedLivestream(ctx, scope, q.streamID) }, nil
	}
	return nil, badRequest("page is required: overview, livestream or enterprise")
}

// live serves a route of live figures: with's parameter checks, without
// as_of (a past day's figures never move: GET them) or format.
func (h *handlers) live(declared []param, serve func(*gin.Context, query)) gin.HandlerFunc {
	return func(c *gin.Context) {
		q, err := parseQuery(c, declared)
		if err != nil {
			h.fail(c, err)
			return
		}
		serve(c, q)
	}
}

// stream serves GET /api/v1/stream: Server-Sent Events carrying the
// figures of one page, first as they are, then after projector commits,
// coalesced to at most one message per MinInterval. Every message is a
// whole snapshot (event figures, id the projector's commit sequence), so
// a client reconnecting with Last-Event-ID loses nothing by getting the
// current figures at once, under the latest id: nothing is replayed, as
// nothing in between would still be true. A client that does not drain
// its connection within WriteTimeout is dropped; the projector never
// waits for one (see live.Hub).
func (h *handlers) stream(c *gin.Context, q query) {
	hub := h.streams.opts.Hub
	if hub == nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"error": "the live stream needs a projector to follow: this node has none"})
		return
	}
	compute, err := h.compute(c, q)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	key := figuresKey{page: q.page, id: q.streamID, period: q.period, scope: h.scope(c)}
	figs := h.streams.acquire(key)
	defer h.streams.release(key, figs)
	seq, next := hub.Current()
	// The first figures before the stream starts: an id out of scope or
	// unknown answers 404 (403, 400) as the matching GET would.
	msg, err := figs.at(ctx, seq, compute)
	if err != nil {
		h.fail(c, err)
		return
	}
	leave := hub.Join()
	defer leave()
	boundSendBuffer(c.Request, h.streams.opts.SendBuffer)
	w := newSSEWriter(c, h.streams.opts.WriteTimeout)
	if err := w.send(append([]byte(retry), msg...)); err != nil {
		h.dropIf(hub, err)
		return
	}
	ping := time.NewTicker(h.streams.opts.Ping)
	defer ping.Stop()
	last := time.Now()
	for {
		select {
		case <-next:
		case <-ping.C:
			if err := w.send([]byte(": ping\n\n")); err != nil {
				h.dropIf(hub, err)
				return
			}
			continue
		case <-ctx.Done():
			return
		case <-hub.Done():
			return
		}
		if !sleep(ctx, hub, h.streams.opts.MinInterval-time.Since(last)) {
			return
		}
		seq, next = hub.Current() // commits while asleep are in this one
		msg, err := figs.at(ctx, seq, compute)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("live figures not computed; trying at the next commit", "page", q.page, "err", err)
			}
			continue
		}
		if err := w.send(msg); err != nil {
			h.dropIf(hub, err)
			return
		}
		last = time.Now()
	}
}

// sleep waits d (coalescing commits); false if the stream must end.
func sleep(ctx context.Context, hub *live.Hub, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-hub.Done():
		return false
	}
}

// dropIf counts a client dropped when its write timed out (it stopped
// reading); a client that went away is not dropped, only gone.
func (h *handlers) dropIf(hub *live.Hub, err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		hub.Dropped()
	}
}

// retry, before the first message, tells a browser to wait 2 s before
// reconnecting.
const retry = "retry: 2000\n"

// message is one SSE message.
func message(id uint64, body []byte) []byte {
	b := make([]byte, 0, len(body)+64)
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, "\nevent: figures\ndata: "...)
	b = append(b, body...)
	return append(b, "\n\n"...)
}

// sseWriter writes a stream with a deadline on every message.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func newSSEWriter(c *gin.Context, timeout time.Duration) *sseWriter {
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	c.Status(http.StatusOK)
	c.Writer.WriteHeaderNow()
	// Write to net/http's writer itself: gin's Flush drops the error that
	// says the client stopped reading.
	w := http.ResponseWriter(c.Writer)
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	return &sseWriter{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

func (s *sseWriter) send(b []byte) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil {
		return err
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	return s.rc.Flush()
}
