package main_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/testenv"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
)

// TestProjectorSIGKILLedIntoClickHouse replays a large import from the
// embedded event log into ClickHouse with `loquat project --store
// clickhouse`, SIGKILLs the projector process at random moments (during
// its migrations, its commits, between them), starts it again each time,
// and expects the import's own totals to the fen, every order once.
func TestProjectorSIGKILLedIntoClickHouse(t *testing.T) {
	base := testenv.ClickHouseDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	db := fmt.Sprintf("loquat_test_kill_%d", r.Uint32())
	u.Path = "/" + db
	dsn := u.String()
	t.Cleanup(func() {
		opts, err := ch.ParseDSN(base)
		if err != nil {
			return
		}
		if conn, err := ch.Open(opts); err == nil {
			conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
			conn.Close()
		}
	})

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	registry := filepath.Join(dir, "registry.json")
	if err := os.WriteFile(registry, samples.File("registry.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, nil, "registry", "load", "--data-dir", data, registry)
	const orders = 150_000
	big, gmv, refunds, refunded := bigImport(t, dir, orders)
	run(t, nil, "import", "--data-dir", data, big)

	ctx := context.Background()
	store, err := clickhouse.Open(ctx, clickhouse.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q := &projections.Queries{Store: store}
	year := projections.Period{From: "2021-01-01", To: "2021-12-31"}
	project := []string{"project", "--data-dir", data, "--store", "clickhouse", "--clickhouse-dsn", dsn, "--addr", "127.0.0.1:0"}
	// Each run is killed a random moment after it has committed more: in
	// the middle of the replay, whatever the machine's speed. The first is
	// killed at a random moment of its start (migrations included).
	committed := func() int64 {
		ov, err := q.Overview(ctx, year)
		if err != nil {
			return 0 // no tables yet
		}
		return ov.Orders
	}
	var seen int64
	midway := 0
	for i := 0; i < 6 && seen < orders; i++ {
		p := start(t, nil, project...)
		if i > 0 {
			for deadline := time.Now().Add(time.Minute); committed() <= seen && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
		}
		time.Sleep(time.Duration(r.IntN(300)) * time.Millisecond)
		p.kill(t)
		seen = committed()
		t.Logf("kill %d: %d of %d orders committed", i+1, seen, orders)
		if seen > 0 && seen < orders {
			midway++
		}
	}
	if midway < 2 {
		t.Errorf("%d kills fell in the middle of the replay: the test proves little", midway)
	}

	p := start(t, nil, project...)
	p.waitURL(t, time.Minute)
	defer p.stop(t)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ov, err := q.Overview(ctx, year)
		if err == nil && ov.Orders == orders {
			if ov.GMVFen != gmv || ov.RefundsFen != refunds || ov.RefundedOrders != refunded {
				t.Errorf("after the kills: %s, %d refunded; want GMV %d refunds %d fen, %d refunded",
					samples.Describe(ov), ov.RefundedOrders, gmv, refunds, refunded)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the projector never caught up: %s (%v)", samples.Describe(ov), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
