package projections_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
)

// preferring is a real SQLite store that states other batching preferences
// and notes whether the projector prepares a batch (loads its lines) before
// the previous one has committed. A serial projector loads batch N+1's lines
// only after commit N returned, so its loads never run two ahead of the
// finished commits; a pipelined one loads them while N commits.
type preferring struct {
	projections.Store
	batching  projections.Batching
	holdFirst bool // hold the first commit until the next batch's load

	mu               sync.Mutex
	loads, committed int
	held             bool
	overlaps         int
	loaded           chan struct{} // a load ahead of the commits
}

func (s *preferring) Batching() projections.Batching { return s.batching }

// NeedsOrderChanges passes the wrapped store's on: embedding the Store
// interface hides the optional capabilities of the store inside it.
func (s *preferring) NeedsOrderChanges() bool {
	n, ok := s.Store.(projections.OrderChangesNeeder)
	return ok && n.NeedsOrderChanges()
}

func (s *preferring) LoadLines(ctx context.Context, orders []projections.OrderRef) ([]domain.LineState, error) {
	s.mu.Lock()
	s.loads++
	if s.loads-s.committed >= 2 {
		s.overlaps++
		select {
		case s.loaded <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	return s.Store.LoadLines(ctx, orders)
}

// Commit holds each commit open for 50 ms, and with holdFirst the first
// one until the projector has loaded the next batch's lines, which a
// pipelined projector does at once (the test queues more events than one
// batch).
func (s *preferring) Commit(ctx context.Context, b *projections.Batch) error {
	s.mu.Lock()
	first := !s.held
	s.held = true
	s.mu.Unlock()
	wait := 50 * time.Millisecond
	if s.holdFirst && first {
		wait = 10 * time.Second
	}
	select {
	case <-s.loaded:
	case <-time.After(wait):
	}
	err := s.Store.Commit(ctx, b)
	s.mu.Lock()
	s.committed++
	s.mu.Unlock()
	return err
}

func TestProjectorBatchesAsTheStorePrefers(t *testing.T) {
	cases := []struct {
		name         string
		store        projections.Batching
		config       projections.ProjectorConfig
		wantMax      int
		wantOverlaps bool
	}{
		{"store's defaults", projections.Batching{}, projections.ProjectorConfig{}, 5000, false},
		{"store's batch size", projections.Batching{MaxBatch: 7}, projections.ProjectorConfig{}, 7, false},
		{"config's batch size wins", projections.Batching{MaxBatch: 7}, projections.ProjectorConfig{MaxBatch: 3}, 3, false},
		{"store's pipelining", projections.Batching{MaxBatch: 7, Pipeline: true}, projections.ProjectorConfig{}, 7, true},
		{"config turns pipelining off", projections.Batching{MaxBatch: 7, Pipeline: true}, projections.ProjectorConfig{Pipeline: projections.PipelineOff}, 7, false},
		{"config turns pipelining on", projections.Batching{MaxBatch: 7}, projections.ProjectorConfig{Pipeline: projections.PipelineOn}, 7, true},
	}
	const orders = 60
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			store := &preferring{Store: db, batching: c.store, holdFirst: c.wantOverlaps, loaded: make(chan struct{}, 1)}
			var mu sync.Mutex
			var sizes []int
			cfg := c.config
			cfg.OnCommit = func(s projections.CommitStats) {
				mu.Lock()
				sizes = append(sizes, s.Events)
				mu.Unlock()
			}
			p, err := projections.NewProjector(ctx, store, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Config().MaxBatch; got != c.wantMax {
				t.Errorf("MaxBatch in effect %d, want %d", got, c.wantMax)
			}
			if got := p.Config().Pipeline; (got == projections.PipelineOn) != c.wantOverlaps || got == projections.PipelineAsStore {
				t.Errorf("Pipeline in effect %d, want on: %v", got, c.wantOverlaps)
			}
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- p.Run(runCtx) }()
			at := time.Date(2021, 3, 1, 10, 0, 0, 0, domain.ChinaTime)
			for i := range orders {
				msg, err := eventlog.NewMessage(&domain.OrderPaid{Platform: "jd", OrderID: fmt.Sprint(1000 + i), CreatedAt: at, PaidAt: at,
					Lines: []domain.PaidLine{{LineID: "1", SKUID: "1", Quantity: 1, AmountFen: 100}}})
				if err != nil {
					t.Fatal(err)
				}
				eventlog.SetPosition(msg, eventlog.Position{Partition: 0, Offset: int64(i + 1)})
				if err := p.Handle(msg); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.WaitFor(ctx, eventlog.Positions{0: orders}); err != nil {
				t.Fatal(err)
			}
			stop()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			total, largest := 0, 0
			for _, n := range sizes {
				total += n
				largest = max(largest, n)
			}
			if total != orders {
				t.Fatalf("committed %d events in %v, want %d", total, sizes, orders)
			}
			if largest > c.wantMax {
				t.Errorf("a commit took %d events (%v), more than %d", largest, sizes, c.wantMax)
			}
			if c.wantMax < orders && len(sizes) < orders/c.wantMax {
				t.Errorf("%d commits (%v) for %d events in batches of at most %d", len(sizes), sizes, orders, c.wantMax)
			}
			if got := store.overlaps > 0; got != c.wantOverlaps {
				t.Errorf("batches prepared while another committed: %d; want overlap %v", store.overlaps, c.wantOverlaps)
			}
		})
	}
}
