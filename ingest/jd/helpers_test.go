package jd_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// collectingSink records what the poller appends; it is the test's view of
// the event log, not a stand-in for JD.
type collectingSink struct {
	mu      sync.Mutex
	appends [][]domain.Event
	dead    []domain.DeadLetter
}

func (s *collectingSink) Append(_ context.Context, events ...domain.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appends = append(s.appends, events)
	return nil
}

func (s *collectingSink) DeadLetter(_ context.Context, dl domain.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = append(s.dead, dl)
	return nil
}

func (s *collectingSink) events() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Event
	for _, a := range s.appends {
		out = append(out, a...)
	}
	return out
}

func (s *collectingSink) batches() [][]domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.appends)
}

func (s *collectingSink) deadLetters() []domain.DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dead)
}

// memCursors is an in-memory CursorStore; failSaves makes that many next
// saves fail, as a store that lost its connection.
type memCursors struct {
	mu        sync.Mutex
	m         map[string]string
	saves     int
	failSaves int
}

var errStoreDown = errors.New("cursor store unavailable")

func (c *memCursors) Load(_ context.Context, name string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[name]
	return v, ok, nil
}

func (c *memCursors) Save(_ context.Context, name, cursor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failSaves > 0 {
		c.failSaves--
		return errStoreDown
	}
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[name] = cursor
	c.saves++
	return nil
}

func (c *memCursors) get(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// clock is a settable time shared by the poller and the simulator.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// logRecords is an slog handler keeping every record, for tests that check
// what was logged.
type logRecords struct {
	mu      sync.Mutex
	records []slog.Record
	attrs   []slog.Attr
}

func (h *logRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.records = append(h.records, r)
	return nil
}
func (h *logRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return &sharedRecords{h, as}
}
func (h *logRecords) WithGroup(string) slog.Handler { return h }

// find returns the attributes of every record whose message contains msg.
func (h *logRecords) find(msg string) []map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []map[string]string
	for _, r := range h.records {
		if !strings.Contains(r.Message, msg) {
			continue
		}
		m := map[string]string{"level": r.Level.String()}
		r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
		out = append(out, m)
	}
	return out
}

// sharedRecords is logRecords with attributes added by Logger.With.
type sharedRecords struct {
	h     *logRecords
	attrs []slog.Attr
}

func (s *sharedRecords) Enabled(ctx context.Context, l slog.Level) bool { return true }
func (s *sharedRecords) Handle(ctx context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(s.attrs...)
	return s.h.Handle(ctx, r)
}
func (s *sharedRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return &sharedRecords{s.h, append(slices.Clone(s.attrs), as...)}
}
func (s *sharedRecords) WithGroup(string) slog.Handler { return s }

// rig is a simulated JD served over real HTTP, with a sink and a cursor
// store that outlive the pollers built on them.
type rig struct {
	sim     *jdsim.Platform
	srv     *httptest.Server
	sink    *collectingSink
	cursors *memCursors
	logs    *logRecords
	clock   *clock
}

// newRig serves sim, wrapped by wrap when not nil.
func newRig(t *testing.T, sim *jdsim.Platform, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{sim: sim, srv: srv, sink: &collectingSink{}, cursors: &memCursors{}, logs: &logRecords{}, clock: &clock{}}
}

// config is a poller configuration for the rig: sample credentials, the
// rig's clock, quick retries.
func (r *rig) config(start time.Time) jd.Config {
	return jd.Config{
		AppKey:       jdsim.SampleAppKey,
		AppSecret:    jdsim.SampleAppSecret,
		AccessToken:  jdsim.SampleAccessToken,
		APIBaseURL:   r.srv.URL + "/routerjson",
		Start:        start,
		Now:          r.clock.Now,
		RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond,
		Interval: 5 * time.Millisecond,
	}
}

func (r *rig) poller(t *testing.T, cfg jd.Config) *jd.Poller {
	t.Helper()
	p, err := jd.New(cfg, r.sink, r.cursors, slog.New(r.logs))
	mustNoErr(t, err)
	return p
}

// newClockedRig is newRig over a new simulator that shares the rig's clock.
func newClockedRig(t *testing.T, opts jdsim.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	clk := &clock{}
	opts.Clock = clk.Now
	r := newRig(t, newSim(t, opts), wrap)
	r.clock = clk
	return r
}

func newSim(t *testing.T, opts jdsim.Options) *jdsim.Platform {
	t.Helper()
	sim, err := jdsim.New(opts)
	mustNoErr(t, err)
	return sim
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	mustNoErr(t, err)
	return b
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func china(s string) time.Time {
	t, err := domain.ParseChinaTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// eventsJSON renders events for comparison and golden files.
func eventsJSON(t *testing.T, events []domain.Event) []byte {
	t.Helper()
	type row struct {
		Type         domain.EventType `json:"type"`
		ID           string           `json:"id"`
		PartitionKey string           `json:"partition_key"`
		Event        domain.Event     `json:"event"`
	}
	rows := make([]row, len(events))
	for i, e := range events {
		rows[i] = row{e.Type(), e.ID(), e.PartitionKey(), e}
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	mustNoErr(t, err)
	return append(b, '\n')
}

func find[E domain.Event](events []domain.Event) []E {
	var out []E
	for _, e := range events {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}

// tally computes the figures the events give the way the projector does:
// events deduplicated by id, each line's payment and refunds kept in a
// domain.LineState, whose entries clip refunds to what the line was paid.
func tally(events []domain.Event) jdsim.Ledger {
	byID := map[string]domain.Event{}
	for _, e := range events {
		byID[e.ID()] = e
	}
	lines := map[domain.LineKey]*domain.LineState{}
	line := func(order, id string) *domain.LineState {
		k := domain.LineKey{Platform: jd.Platform, OrderID: order, LineID: id}
		if lines[k] == nil {
			lines[k] = &domain.LineState{Key: k}
		}
		return lines[k]
	}
	created := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		switch e := byID[id].(type) {
		case *domain.OrderCreated:
			created[e.OrderID] = true
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				line(e.OrderID, l.LineID).ApplyPayment(domain.LinePayment{EventID: e.ID(), CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, PaidLine: l}, nil)
			}
		case *domain.OrderCancelled:
			if e.WasPaid {
				for _, l := range e.Lines {
					line(e.OrderID, l.LineID).ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt})
				}
			}
		}
	}
	out := jdsim.Ledger{ByDay: map[string]jdsim.Totals{}, OrdersCreated: len(created)}
	paid, refunded := map[string]bool{}, map[string]bool{}
	for k, s := range lines {
		for _, en := range s.Entries() {
			d := out.ByDay[domain.Day(en.At)]
			for _, t := range []*jdsim.Totals{&out.Totals, &d} {
				t.NetFen += en.AmountFen
				if en.Kind == domain.EntrySale {
					t.GMVFen += en.AmountFen
				} else {
					t.RefundsFen -= en.AmountFen
				}
			}
			out.ByDay[domain.Day(en.At)] = d
			if en.Kind == domain.EntrySale {
				paid[k.OrderID] = true
			} else {
				refunded[k.OrderID] = true
			}
		}
	}
	out.OrdersPaid, out.OrdersRefunded = len(paid), len(refunded)
	return out
}
