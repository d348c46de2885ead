package douyin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// MaxBodyBytes is the largest push body accepted; a larger one is answered 413.
const MaxBodyBytes = 8 << 20

// Answer codes of the push endpoint; code 0 alone tells the platform the
// push was received.
const (
	codeOK           = 0
	codeBadRequest   = 40000
	codeUnauthorized = 40100
	codeBadMethod    = 40500
	codeTooLarge     = 41300
	codeUnavailable  = 50300
)

// Handler receives 抖店 message pushes (POST /ingest/douyin), turns them into
// domain events and appends them to the sink. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	sink   ingest.Sink
	logger *slog.Logger
	detail *detailClient
}

// NewHandler sets cfg's defaults, validates it and builds the handler. It
// does not touch the network. A nil logger discards logs.
func NewHandler(cfg Config, sink ingest.Sink, logger *slog.Logger) (*Handler, error) {
	cfg.setDefaults()
	err := cfg.Validate()
	if sink == nil {
		err = errors.Join(err, errors.New("douyin: sink is nil"))
	}
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With(slog.String("platform", Platform))
	return &Handler{cfg: cfg, sink: sink, logger: logger, detail: &detailClient{cfg: cfg, logger: logger}}, nil
}

// ServeHTTP answers one push; see README.md for what each answer means.
// Only code 0 (HTTP 200) tells the platform not to push again.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		answer(w, http.StatusMethodNotAllowed, codeBadMethod, "only POST is accepted")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			answer(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("body exceeds %d bytes", MaxBodyBytes))
			return
		}
		answer(w, http.StatusBadRequest, codeBadRequest, "reading body: "+err.Error())
		return
	}
	// Unauthenticated input is refused before anything is decoded or stored.
	if err := checkPushSignature(h.cfg.AppKey, h.cfg.AppSecret, body, r.Header.Get("event-sign"), r.Header.Get("sign-method")); err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "douyin push refused", slog.String("err", err.Error()), slog.Int("body_bytes", len(body)))
		answer(w, http.StatusUnauthorized, codeUnauthorized, err.Error())
		return
	}
	status, code, msg := h.ingest(r.Context(), body)
	answer(w, status, code, msg)
}

// ingest decodes, fetches, appends and dead-letters one authenticated body,
// and returns the answer.
func (h *Handler) ingest(ctx context.Context, body []byte) (status, code int, msg string) {
	received := h.cfg.Now()
	raws, err := splitBody(body)
	if err != nil {
		reason := "douyin push body: " + err.Error()
		if dlErr := h.sink.DeadLetter(ctx, domain.NewDeadLetter(Platform, reason, body, received)); dlErr != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "douyin dead letter failed", slog.String("err", dlErr.Error()))
			return http.StatusServiceUnavailable, codeUnavailable, "could not keep the rejected body: " + dlErr.Error()
		}
		h.logger.LogAttrs(ctx, slog.LevelWarn, "douyin push body rejected", slog.String("err", err.Error()), slog.Int("body_bytes", len(body)))
		return http.StatusBadRequest, codeBadRequest, reason
	}

	msgs := make([]*message, len(raws))
	for i, raw := range raws {
		msgs[i] = decodeMessage(raw)
	}
	details, fetchErr := h.fetchDetails(ctx, msgs)

	events, bad := h.mapMessages(ctx, msgs, details, received)
	var rejected []string
	for _, m := range bad {
		reason := fmt.Sprintf("douyin message msg_id %s tag %s: %s", shown(m.msgID), shown(m.tag), oneLine(m.err))
		if err := h.sink.DeadLetter(ctx, domain.NewDeadLetter(Platform, reason, m.raw, received)); err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "douyin dead letter failed", slog.String("msg_id", m.msgID), slog.String("err", err.Error()))
			return http.StatusServiceUnavailable, codeUnavailable, "could not keep rejected message " + shown(m.msgID) + ": " + err.Error()
		}
		h.logger.LogAttrs(ctx, slog.LevelWarn, "douyin message rejected", slog.String("msg_id", m.msgID), slog.String("tag", m.tag), slog.String("err", oneLine(m.err)))
		rejected = append(rejected, shown(m.msgID))
	}

	if len(events) > 0 {
		if err := h.sink.Append(ctx, events...); err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "douyin append failed", slog.Int("events", len(events)), slog.String("err", err.Error()))
			return http.StatusServiceUnavailable, codeUnavailable, "events not stored: " + err.Error()
		}
	}
	h.logger.LogAttrs(ctx, slog.LevelDebug, "douyin push ingested",
		slog.Int("messages", len(msgs)), slog.Int("events", len(events)), slog.Int("rejected", len(rejected)), slog.Bool("detail_failed", fetchErr != nil))
	switch {
	case fetchErr != nil:
		// The platform pushes again on anything but code 0; event ids are
		// deterministic, so what was appended now is deduplicated then.
		return http.StatusServiceUnavailable, codeUnavailable, "order detail unavailable, push again: " + oneLine(fetchErr)
	case len(rejected) > 0:
		return http.StatusBadRequest, codeBadRequest, "rejected msg_id " + strings.Join(rejected, ", ") + " (kept as dead letters); the other messages were stored"
	}
	return http.StatusOK, codeOK, "success"
}

// mapMessages maps the messages, in body order, to their valid events and
// the messages to reject (their err set). A message whose order detail could
// not be fetched is in neither: the push is answered 503 and comes again.
func (h *Handler) mapMessages(ctx context.Context, msgs []*message, details map[string]*orderDetail, received time.Time) (events []domain.Event, bad []*message) {
	for _, m := range msgs {
		var d *orderDetail
		if oid := m.needsDetail(); oid != "" {
			if d = details[oid]; d == nil {
				continue
			}
		}
		if m.err == nil && d != nil && d.invalid != nil {
			m.err = fmt.Errorf("order %s detail: %w", m.needsDetail(), d.invalid)
		}
		if m.err == nil {
			var e domain.Event
			e, m.err = toEvent(m, d, received)
			if e == nil && m.err == nil {
				h.logger.LogAttrs(ctx, slog.LevelDebug, "douyin message skipped", slog.String("msg_id", m.msgID), slog.String("tag", m.tag))
				continue
			}
			if m.err == nil {
				m.err = e.Validate()
			}
			if m.err == nil {
				events = append(events, e)
				continue
			}
		}
		bad = append(bad, m)
	}
	return events, bad
}

// splitBody splits a push body into its messages' raw bytes.
func splitBody(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, errors.New("not a JSON array of messages")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(trimmed, &raws); err != nil {
		return nil, fmt.Errorf("not a JSON array of messages: %w", err)
	}
	return raws, nil
}

// fetchDetails fetches the detail of every order the messages need, each
// order once, at most cfg.DetailConcurrency at a time. The map holds the
// details fetched; the error joins the failures, in body order.
func (h *Handler) fetchDetails(ctx context.Context, msgs []*message) (map[string]*orderDetail, error) {
	var orders []string
	seen := map[string]bool{}
	for _, m := range msgs {
		if oid := m.needsDetail(); oid != "" && !seen[oid] {
			seen[oid] = true
			orders = append(orders, oid)
		}
	}
	details := make(map[string]*orderDetail, len(orders))
	errs := make([]error, len(orders))
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next atomic.Int64
	)
	// A few workers take the orders in turn, rather than a goroutine per
	// order: each new goroutine grows its stack for the HTTP client and
	// the JSON decoder, which cost as much as building the request.
	for range min(h.cfg.DetailConcurrency, len(orders)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(orders); i = int(next.Add(1)) - 1 {
				oid := orders[i]
				d, err := h.detail.fetch(ctx, oid)
				if err != nil {
					h.logger.LogAttrs(ctx, slog.LevelWarn, "douyin order detail unavailable", slog.String("order_id", oid), slog.String("err", err.Error()))
					errs[i] = err
					continue
				}
				mu.Lock()
				details[oid] = d
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return details, errors.Join(errs...)
}

func answer(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}{code, msg}) // the platform reads the answer or times out; nothing to do on error
}

// oneLine flattens errors.Join's newlines for reasons and answers.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// shown is a msg_id or tag for a reason or an answer: as sent (quoted if it
// is not printable), or "-" when the message has none.
func shown(s string) string {
	if s == "" {
		return "-"
	}
	if !printable(s) {
		return strconv.Quote(s)
	}
	return s
}
