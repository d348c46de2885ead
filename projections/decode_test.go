package projections_test

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestLargeBatchDecodedInParallel queues a generated data set of more than
// 8,000 events, with undecodable messages among them, before the projector
// starts, so that its first batch is decoded on several goroutines (at
// least two CPUs are asked for): the figures are exact, and every bad
// message is a dead letter naming its position. TestDecodeMessagesInChunks
// puts bad messages at the chunks' edges.
func TestLargeBatchDecodedInParallel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ds := storetest.Generate(5, 3000)
	if len(ds.Events) < 8000 {
		t.Fatalf("the data set has %d events; the test needs more than 8,000", len(ds.Events))
	}
	registryEnd := eventlog.Positions{0: int64(len(ds.Registry))}
	var mu sync.Mutex
	var batches []int
	p, err := projections.NewProjector(ctx, store, projections.ProjectorConfig{
		MaxBatch:    20000,
		RegistryEnd: func(context.Context) (eventlog.Positions, error) { return registryEnd, nil },
		OnCommit: func(s projections.CommitStats) {
			mu.Lock()
			batches = append(batches, s.Events)
			mu.Unlock()
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range ds.Registry {
		msg, err := eventlog.NewMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		eventlog.SetPosition(msg, eventlog.Position{Partition: 0, Offset: int64(i + 1)})
		if err := p.HandleRegistry(msg); err != nil {
			t.Fatal(err)
		}
	}
	// Bad messages spread over the batch.
	badAt := map[int]bool{0: true, 1999: true, 2000: true, 2001: true, 3999: true, 4000: true}
	var offset int64
	next := func() eventlog.Position { offset++; return eventlog.Position{Partition: 0, Offset: offset} }
	var bad []eventlog.Position
	for i, e := range ds.Events {
		if badAt[i] {
			msg, err := eventlog.NewMessage(e)
			if err != nil {
				t.Fatal(err)
			}
			msg.Payload = []byte(`{"platform":"jd","order_id":"bad","not_a_field":1}`)
			pos := next()
			eventlog.SetPosition(msg, pos)
			bad = append(bad, pos)
			if err := p.Handle(msg); err != nil {
				t.Fatal(err)
			}
		}
		msg, err := eventlog.NewMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		eventlog.SetPosition(msg, next())
		if err := p.Handle(msg); err != nil {
			t.Fatal(err)
		}
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	if err := p.WaitFor(ctx, eventlog.Positions{0: offset}); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(batches) == 0 || batches[0] < 4000 {
		t.Errorf("batches of %v events: the first is too small to be decoded in parallel", batches)
	}
	mu.Unlock()

	q := &projections.Queries{Store: store}
	storetest.CheckReference(t, q, ds.Want)
	page, err := q.DeadLetters(ctx, projections.Paging{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(bad) {
		t.Fatalf("%d dead letters, want %d", page.Total, len(bad))
	}
	for _, pos := range bad {
		want := "log 0/" + strconv.FormatInt(pos.Offset, 10) + " "
		found := false
		for _, dl := range page.Items {
			found = found || strings.Contains(dl.Reason, want) && strings.Contains(dl.Reason, "not_a_field")
		}
		if !found {
			t.Errorf("no dead letter names position %d and the unknown field", pos.Offset)
		}
	}
}
