// Package ingesttest holds what the ingest adapters' tests share: a sink
// and a cursor store in memory, a settable clock, an slog handler that
// keeps records, small helpers for golden files and checks, a rig that
// serves a platform simulator to pollers (Rig), crashes between and during
// requests (Killer), and the figures events add up to (Tally). They stand
// for Loquat's own event log, cursor store and projector in tests of an
// adapter, never for a platform: the simulators do.
package ingesttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// Sink records what an adapter appends: a test's view of the event log
// (an ingest.Sink), not a stand-in for a platform.
type Sink struct {
	mu        sync.Mutex
	appends   [][]domain.Event
	dead      []domain.DeadLetter
	appendErr error
}

// FailAppends makes every Append fail with err (nil: succeed again), as an
// event log that is down.
func (s *Sink) FailAppends(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appendErr = err
}

func (s *Sink) Append(_ context.Context, events ...domain.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.appendErr != nil {
		return s.appendErr
	}
	s.appends = append(s.appends, events)
	return nil
}

func (s *Sink) DeadLetter(_ context.Context, dl domain.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = append(s.dead, dl)
	return nil
}

// Events returns every event appended, in order.
func (s *Sink) Events() []domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Event
	for _, a := range s.appends {
		out = append(out, a...)
	}
	return out
}

// Batches returns the events of each Append call.
func (s *Sink) Batches() [][]domain.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.appends)
}

// DeadLetters returns the dead letters stored.
func (s *Sink) DeadLetters() []domain.DeadLetter {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.dead)
}

// Cursors is an in-memory ingest.CursorStore; FailNextSaves makes saves
// fail, as a store that lost its connection.
type Cursors struct {
	mu        sync.Mutex
	m         map[string]string
	saves     int
	failSaves int
}

// Forget drops every saved cursor, as a crash before they were saved.
func (c *Cursors) Forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// FailNextSaves makes the next n saves fail with ErrStoreDown.
func (c *Cursors) FailNextSaves(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failSaves = n
}

// ErrStoreDown is what a save made to fail by FailNextSaves returns.
var ErrStoreDown = errors.New("cursor store unavailable")

func (c *Cursors) Load(_ context.Context, name string) (string, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[name]
	return v, ok, nil
}

func (c *Cursors) Save(_ context.Context, name, cursor string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failSaves > 0 {
		c.failSaves--
		return ErrStoreDown
	}
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[name] = cursor
	c.saves++
	return nil
}

// Saves counts the saves that succeeded.
func (c *Cursors) Saves() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.saves
}

// Get returns the cursor saved under name ("" when none).
func (c *Cursors) Get(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[name]
}

// Clock is a settable time shared by the poller and the simulator.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set sets the time.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// LogRecords is an slog handler keeping every record, for tests that check
// what was logged.
type LogRecords struct {
	mu      sync.Mutex
	records []slog.Record
	attrs   []slog.Attr
}

func (h *LogRecords) Enabled(context.Context, slog.Level) bool { return true }
func (h *LogRecords) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r = r.Clone()
	r.AddAttrs(h.attrs...)
	h.records = append(h.records, r)
	return nil
}
func (h *LogRecords) WithAttrs(as []slog.Attr) slog.Handler {
	return &sharedRecords{h, as}
}
func (h *LogRecords) WithGroup(string) slog.Handler { return h }

// Find returns the attributes of every record whose message contains msg.
func (h *LogRecords) Find(msg string) []map[string]string {
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

// sharedRecords is LogRecords with attributes added by Logger.With.
type sharedRecords struct {
	h     *LogRecords
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

// ReadTestdata reads testdata/name or, where testdata/ has no such file,
// the sample of that name (the samples' one copy is sampledata), failing
// the test when it cannot.
func ReadTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if errors.Is(err, fs.ErrNotExist) {
		if sample, ok := sampledata.Lookup(name); ok {
			return sample
		}
	}
	MustNoErr(t, err)
	return b
}

// GoldenEvents compares events, as EventsJSON renders them, with
// testdata/golden/name; with update it rewrites the file from them first.
func GoldenEvents(t testing.TB, name string, events []domain.Event, update bool) {
	t.Helper()
	got := EventsJSON(t, events)
	path := filepath.Join("testdata", "golden", name)
	if update {
		MustNoErr(t, os.MkdirAll(filepath.Dir(path), 0o755))
		MustNoErr(t, os.WriteFile(path, got, 0o644))
	}
	want := ReadTestdata(t, filepath.Join("golden", name))
	if !bytes.Equal(got, want) {
		t.Errorf("events differ from %s (run with -update to rewrite)\nwant:\n%s\ngot:\n%s", path, want, got)
	}
}

// WantRedacted fails the test for each output that holds secret or does
// not say "[redacted]" in its place.
func WantRedacted(t testing.TB, secret string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("a secret leaked: %s", out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("want [redacted] in %s", out)
		}
	}
}

// WantErrorNaming fails the test unless err names every one of names: a
// configuration's problems are reported all at once, not the first only.
func WantErrorNaming(t testing.TB, err error, names ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error naming %v, got none", names)
	}
	for _, want := range names {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

// WantNoDeadLetters fails the test at once when sink kept a dead letter.
func WantNoDeadLetters(t testing.TB, sink *Sink) {
	t.Helper()
	if d := sink.DeadLetters(); len(d) != 0 {
		t.Fatalf("want no dead letters, got %d: %s", len(d), d[0].Reason)
	}
}

// OneDeadLetter returns the one dead letter sink kept, failing the test at
// once when it kept none or more.
func OneDeadLetter(t testing.TB, sink *Sink) domain.DeadLetter {
	t.Helper()
	dead := sink.DeadLetters()
	if len(dead) != 1 {
		t.Fatalf("want one dead letter, got %d", len(dead))
	}
	return dead[0]
}

// MustNoErr fails the test at once on an error.
func MustNoErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// China parses "2006-01-02 15:04:05" in China time; it panics on a typo.
func China(s string) time.Time {
	t, err := domain.ParseChinaTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// EventsJSON renders events as the golden files hold them: type, id,
// partition key and the event, indented.
func EventsJSON(t testing.TB, events []domain.Event) []byte {
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
	MustNoErr(t, err)
	return append(b, '\n')
}

// Find returns the events of type E, in order.
func Find[E domain.Event](events []domain.Event) []E {
	var out []E
	for _, e := range events {
		if x, ok := e.(E); ok {
			out = append(out, x)
		}
	}
	return out
}
