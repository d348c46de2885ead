package clickhouse_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestRebuildSwap builds a shadow read model from a feed while queries keep
// reading the live one, and swaps it in: no query fails, queries answer
// from the old tables until the swap and from the new ones after it.
func TestRebuildSwap(t *testing.T) {
	live, cfg := openStore(t)
	defer live.Close()
	ctx := context.Background()
	old := storetest.Generate(51, 500)
	old.Project(t, live, 0)
	oldView := view(t, live)

	// Another process serving the API on the live tables.
	api := mustOpen(t, cfg)
	defer api.Close()
	q := &projections.Queries{Store: api, Now: now}
	var (
		queries, failures atomic.Int64
		firstErr          atomic.Value
		wg                sync.WaitGroup
	)
	stop := make(chan struct{})
	ask := []func() error{
		func() error { _, err := q.Overview(ctx, projections.Period{}); return err },
		func() error {
			_, err := q.Households(ctx, projections.HouseholdQuery{Paging: projections.Paging{Limit: 10}})
			return err
		},
		func() error {
			_, err := q.Livestreams(ctx, projections.Period{}, projections.Paging{Limit: 10})
			return err
		},
		func() error {
			_, err := q.Unattributed(ctx, projections.Period{}, projections.Paging{Limit: 10})
			return err
		},
	}
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := ask[i](); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
				queries.Add(1)
			}
		}()
	}

	shadow, err := live.Shadow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer shadow.Close()
	ds := storetest.Generate(52, 3000)
	ds.Project(t, shadow, 500)
	if got := view(t, api); got != oldView {
		t.Error("the live tables changed before the swap")
	}
	storetest.CheckReference(t, &projections.Queries{Store: shadow, Now: now}, ds.Want)
	before := queries.Load()
	if err := shadow.SwapIn(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // queries on the new tables
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d queries failed, the first: %v", n, queries.Load(), firstErr.Load())
	}
	if queries.Load() == before {
		t.Error("no query ran across the swap")
	}
	t.Logf("%d queries, %d during the rebuild", queries.Load(), before)

	for _, s := range []*clickhouse.Store{api, live, shadow} {
		storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
	}
	// The shadow store is now the live one and keeps projecting.
	more := storetest.Generate(52, 3000)
	more.Project(t, shadow, 500)
	storetest.CheckReference(t, &projections.Queries{Store: api, Now: now}, ds.Want)
	// The old writer must not write into the rebuilt tables.
	err = live.Commit(ctx, &projections.Batch{Consumer: "projector"})
	if !errors.Is(err, clickhouse.ErrForeignWriter) {
		t.Errorf("commit through the replaced store: %v, want ErrForeignWriter", err)
	}
	// No table of the rebuild or of the old model is left.
	conn := adminConn(t, cfg.DSN)
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = '"+cfg.Database+"' AND (name LIKE 'rebuild%' OR name LIKE 'retired%')").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d tables of the rebuild left", n)
	}
}
