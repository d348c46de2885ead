package clickhouse_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestServerRestart kills the ClickHouse server (SIGKILL) in the middle of
// commits, and once at a random moment, while a projector replays a feed,
// and starts it again on the same data directory: the projector retries
// until the server is back, and no event is lost or counted twice.
func TestServerRestart(t *testing.T) {
	testDSN(t) // the suite runs against a server; this test also needs one of its own
	srv := startServer(t)
	cfg := clickhouse.Config{DSN: srv.DSN(), Database: "loquat_restart"}
	s := mustOpen(t, cfg)
	defer s.Close()
	ds := storetest.Generate(41, 8000)

	var (
		mu    sync.Mutex // guards the fields below
		kills int
		errs  []error
		// back is closed when the server is up again after the last outage.
		back = make(chan struct{})
		// broken is closed when the server cannot be started again.
		broken     = make(chan struct{})
		brokenOnce sync.Once
	)
	close(back)
	// outage kills the server and starts it again after a while, once the
	// previous outage is over.
	outage := func(down time.Duration) {
		mu.Lock()
		for {
			wait := back
			select {
			case <-wait:
			default:
				mu.Unlock()
				<-wait
				mu.Lock()
				continue
			}
			break
		}
		defer mu.Unlock()
		kills++
		if err := srv.crash(); err != nil {
			errs = append(errs, err)
			return
		}
		done := make(chan struct{})
		back = done
		go func() {
			defer close(done)
			time.Sleep(down)
			if err := srv.restart(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				brokenOnce.Do(func() { close(broken) })
			}
		}()
	}
	var inserts atomic.Int64
	clickhouse.SetInsertHook(s, func(ctx context.Context, table string, sent bool) error {
		switch n := inserts.Add(1); n {
		case 30: // before an insert: the commit's earlier inserts are in
			outage(1500 * time.Millisecond)
		case 70: // right after an insert, possibly the checkpoint
			outage(500 * time.Millisecond)
		}
		return nil
	})
	r := startRunner(t, s, ds.Feed, projections.ProjectorConfig{MaxBatch: 400, RetryBackoff: 50 * time.Millisecond, Pipeline: projections.PipelineOn}) // as in production
	// And once at a moment chosen by nobody: after the second outage.
	go func() {
		for inserts.Load() < 110 {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(37 * time.Millisecond)
		outage(time.Second)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	finished := make(chan error, 1)
	go func() { finished <- r.p.WaitFor(ctx, r.end) }()
	select {
	case err := <-finished:
		if err != nil {
			t.Errorf("%v (last commit error: %v)", err, r.p.Healthy())
		}
	case <-broken:
	}
	mu.Lock()
	wait := back
	mu.Unlock()
	<-wait
	mu.Lock()
	defer mu.Unlock()
	for _, err := range errs {
		t.Fatal(err)
	}
	r.finish(t, time.Second)
	if kills < 3 {
		t.Errorf("the server was killed %d times, want 3", kills)
	}
	storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
	if n := uncommittedRows(t, cfg); n != 0 {
		t.Errorf("%d rows of uncommitted batches left", n)
	}
}
