package server_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/testenv"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// clickhouseStore returns a store config on a database of its own on the
// test server (scripts/test.sh starts one and sets LOQUAT_TEST_CLICKHOUSE_DSN).
func clickhouseStore(t *testing.T) server.StoreConfig {
	t.Helper()
	dsn := testenv.ClickHouseDSN(t)
	i := strings.LastIndex(dsn, "/")
	return server.StoreConfig{Backend: "clickhouse", ClickHouseDSN: fmt.Sprintf("%s/loquat_server_%d", dsn[:i], rand.Uint64())}
}

// TestClickHouseReadModelAndRebuildSwap serves the samples from the
// ClickHouse read model, then rebuilds it while an API node keeps answering:
// no answer fails or shows a half-built model, and the end is the same.
func TestClickHouseReadModelAndRebuildSwap(t *testing.T) {
	store := clickhouseStore(t)
	dir := t.TempDir()
	open := func(roles server.Roles) (*server.Node, func()) {
		cfg := server.Config{DataDir: dir, Addr: "127.0.0.1:0", Roles: roles, Store: store}
		ctx, cancel := context.WithCancel(context.Background())
		node, err := server.Open(ctx, cfg)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- node.Run(ctx) }()
		return node, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node stopped with: %v", err)
			}
		}
	}

	// The samples, through the real adapters, into a node projecting into ClickHouse.
	node, stop := open(server.Roles{Ingest: true, Project: true, API: true})
	registry, events, err := samples.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Writer().Append(context.Background(), append(registry, events...)...); err != nil {
		t.Fatal(err)
	}
	// And a larger generated data set in 2021, so the rebuild takes a while.
	ds := storetest.Generate(9, 4000)
	if err := node.Writer().Append(context.Background(), append(ds.Registry, ds.Events...)...); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, node)
	samples.CheckAPIPeriod(t, node.URL(), "?from=2020-01-01&to=2020-12-31")
	before, err := node.Queries().Overview(context.Background(), projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	stop()

	// An API node answers throughout the rebuild.
	api, stopAPI := open(server.Roles{API: true})
	defer stopAPI()
	var answers, failures atomic.Int64
	var firstFailure atomic.Value
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				ov, err := api.Queries().Overview(ctx, projections.Period{})
				if ctx.Err() != nil {
					return
				}
				if err != nil || ov.GMVFen != before.GMVFen || ov.NetFen != before.NetFen || ov.Orders != before.Orders {
					failures.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("%v %s", err, samples.Describe(ov)))
				}
				answers.Add(1)
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}
	stats, err := server.Rebuild(context.Background(), dir, logConfig(), store, nil, nil)
	time.Sleep(100 * time.Millisecond) // answers after the swap too
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if failures.Load() > 0 {
		t.Fatalf("%d of %d answers during the rebuild were wrong, first: %v", failures.Load(), answers.Load(), firstFailure.Load())
	}
	if answers.Load() < 10 || stats.Events == 0 {
		t.Fatalf("only %d answers during a rebuild of %d events: the test proves little", answers.Load(), stats.Events)
	}
	samples.CheckAPIPeriod(t, api.URL(), "?from=2020-01-01&to=2020-12-31")
	after, err := api.Queries().Overview(context.Background(), projections.Period{})
	if err != nil || after.GMVFen != before.GMVFen || after.RefundsFen != before.RefundsFen || after.HouseholdsReached != before.HouseholdsReached {
		t.Fatalf("after the rebuild: %s (%v); before: %s", samples.Describe(after), err, samples.Describe(before))
	}
	t.Logf("%d answers during the rebuild of %d events, all right", answers.Load(), stats.Events)
}
