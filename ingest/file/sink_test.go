package file_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

// collectingSink keeps what Import sends it. Safe for concurrent use, as a
// real Sink must be.
type collectingSink struct {
	mu      sync.Mutex
	events  []domain.Event
	dead    []domain.DeadLetter
	batches []int // the size of each Append call, in order

	appendErr   error  // returned by Append when set
	deadErr     error  // returned by DeadLetter when set
	afterAppend func() // called after each successful Append
}

func (s *collectingSink) Append(_ context.Context, events ...domain.Event) error {
	s.mu.Lock()
	if s.appendErr != nil {
		s.mu.Unlock()
		return s.appendErr
	}
	s.events = append(s.events, events...)
	s.batches = append(s.batches, len(events))
	after := s.afterAppend
	s.mu.Unlock()
	if after != nil {
		after()
	}
	return nil
}

func (s *collectingSink) DeadLetter(_ context.Context, dl domain.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.deadErr != nil {
		return s.deadErr
	}
	s.dead = append(s.dead, dl)
	return nil
}

var testNow = time.Date(2020, 7, 1, 9, 0, 0, 0, domain.ChinaTime)

func testOptions() file.Options {
	return file.Options{Source: "test", Now: func() time.Time { return testNow }}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	return ingesttest.ReadTestdata(t, name)
}

// importBytes imports data with opts into a new sink and fails on an error.
func importBytes(t testing.TB, data []byte, opts file.Options) (file.Summary, *collectingSink) {
	t.Helper()
	sink := &collectingSink{}
	sum, err := file.Import(context.Background(), bytes.NewReader(data), int64(len(data)), opts, sink)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return sum, sink
}

func eventIDs(events []domain.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID()
	}
	return ids
}
