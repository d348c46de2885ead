package clickhouse_test

import (
	"context"
	"errors"
	"reflect"
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

// swapMidAnswer is an API node's store whose rebuild is swapped in between
// the first and the second read of an answer: the worst moment for a
// reader, which has its checkpoint from the old tables and reads the rest
// from the new ones.
type swapMidAnswer struct {
	*clickhouse.Store
	swap  func()
	reads atomic.Int64
}

func (s *swapMidAnswer) Sales(ctx context.Context, q projections.SalesQuery) ([]projections.SalesRow, error) {
	if s.reads.Add(1) == 2 {
		s.swap()
	}
	return s.Store.Sales(ctx, q)
}

// TestAnswerAcrossSwap swaps a rebuild in between two reads of one answer:
// the live tables hold the data set in one commit, the rebuild's the same
// data set in dozens (their batch numbers run past the live ones), so an
// answer that read the live checkpoint and then the rebuilt tables would
// leave most of the money out. The answer is composed again and is the
// data set's.
func TestAnswerAcrossSwap(t *testing.T) {
	live, cfg := openStore(t)
	defer live.Close()
	ctx := context.Background()
	ds := storetest.Generate(53, 400)
	ds.Project(t, live, 0)
	want, err := (&projections.Queries{Store: live, Now: now}).Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	shadow, err := live.Shadow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer shadow.Close()
	ds.Project(t, shadow, 40)

	api := mustOpen(t, cfg)
	defer api.Close()
	s := &swapMidAnswer{Store: api, swap: func() {
		if err := shadow.SwapIn(ctx); err != nil {
			t.Error(err)
		}
	}}
	got, err := (&projections.Queries{Store: s, Now: now}).Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the answer across the swap:\n got %+v\nwant %+v", got, want)
	}
	reads := s.reads.Load()
	after, err := (&projections.Queries{Store: s, Now: now}).Overview(ctx, projections.Period{})
	if err != nil || !reflect.DeepEqual(after, want) {
		t.Errorf("after the swap: %+v (%v), want %+v", after, err, want)
	}
	if one := s.reads.Load() - reads; reads < 2*one {
		t.Errorf("the answer across the swap read %d times, one answer reads %d: it was not composed again", reads, one)
	}
	storetest.CheckReference(t, &projections.Queries{Store: api, Now: now}, ds.Want)
}
