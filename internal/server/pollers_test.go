package server_test

import (
	"context"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// simClock is the simulated time the platforms and the pollers share.
type simClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *simClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *simClock) set(t time.Time)     { c.mu.Lock(); c.now = t; c.mu.Unlock() }
func (c *simClock) add(d time.Duration) { c.set(c.Now().Add(d)) }

// TestPollersMatchPlatformLedgersThroughAPI polls a simulated JD and a
// simulated Kuaishou — thousands of orders over three days, changing state
// (paid, shipped, cancelled after payment) as the clock moves on, over many
// pages and windows, with rate limits and server errors — through nodes that
// are stopped at random moments (mid-page included) and started again on the
// same data dir. The API's figures must equal the platforms' own ledgers.
func TestPollersMatchPlatformLedgersThroughAPI(t *testing.T) {
	from := time.Date(2020, 6, 1, 0, 0, 0, 0, domain.ChinaTime)
	clock := &simClock{now: from}
	jdBook, err := jdsim.Generate(jdsim.GenerateOptions{From: from, Span: 72 * time.Hour, Orders: 2000, Seed: 11, IndexLag: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ksBook, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: from, Span: 72 * time.Hour, Orders: 2000, Seed: 12, IndexLag: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	jdSim, err := jdsim.New(jdsim.Options{Clock: clock.Now, RateLimitEvery: 9, FailEvery: 23})
	if err != nil {
		t.Fatal(err)
	}
	if err := jdSim.AddOrders(jdBook.Orders...); err != nil {
		t.Fatal(err)
	}
	ksSim, err := kuaishousim.New(kuaishousim.Options{Clock: clock.Now, RateLimitEvery: 11, FailEvery: 29})
	if err != nil {
		t.Fatal(err)
	}
	if err := ksSim.AddOrders(ksBook.Orders...); err != nil {
		t.Fatal(err)
	}
	jdAPI, ksAPI := httptest.NewServer(jdSim), httptest.NewServer(ksSim)
	defer jdAPI.Close()
	defer ksAPI.Close()

	dir := t.TempDir()
	start := func() (*server.Node, func()) {
		jdCfg := samples.JDConfig(jdAPI.URL)
		jdCfg.Start, jdCfg.Now, jdCfg.Window, jdCfg.PageSize = from, clock.Now, 2*time.Hour, 25
		jdCfg.RetryBackoff, jdCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
		ksCfg := samples.KuaishouConfig(ksAPI.URL)
		ksCfg.Start, ksCfg.Now, ksCfg.Window, ksCfg.PageSize = from, clock.Now, 2*time.Hour, 25
		ksCfg.RetryBackoff, ksCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		node, err := server.Open(ctx, server.Config{DataDir: dir, Addr: "127.0.0.1:0",
			Pollers: server.PollerConfig{JD: jdCfg, Kuaishou: ksCfg}})
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

	r := rand.New(rand.NewPCG(5, 6))
	settled := jdBook.Settled
	if ksBook.Settled.After(settled) {
		settled = ksBook.Settled
	}
	stops := 0
	for clock.Now().Before(settled.Add(10 * time.Minute)) {
		clock.add(time.Duration(2+r.IntN(5)) * time.Hour)
		node, stop := start()
		if r.IntN(2) == 0 {
			// Stopped in the middle of polling: between pages, or during one.
			time.Sleep(time.Duration(r.IntN(30)) * time.Millisecond)
			stops++
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := node.Polled(ctx); err != nil {
				t.Fatal(err)
			}
			cancel()
		}
		stop()
	}
	node, stop := start()
	defer stop()
	caughtUp(t, node)

	var ov projections.Overview
	samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
	wantGMV := jdBook.Ledger.GMVFen + ksBook.Ledger.GMVFen
	wantRefunds := jdBook.Ledger.RefundsFen + ksBook.Ledger.RefundsFen
	wantOrders := int64(jdBook.Ledger.OrdersPaid + ksBook.Ledger.OrdersPaid)
	wantRefunded := int64(jdBook.Ledger.OrdersRefunded + ksBook.Ledger.OrdersRefunded)
	if ov.GMVFen != wantGMV || ov.RefundsFen != wantRefunds || ov.Orders != wantOrders || ov.RefundedOrders != wantRefunded {
		t.Errorf("after %d stops mid-poll: %s, %d refunded; the platforms' ledgers say GMV %d refunds %d fen, %d orders, %d refunded",
			stops, samples.Describe(ov), ov.RefundedOrders, wantGMV, wantRefunds, wantOrders, wantRefunded)
	}
	byPlatform := map[string]projections.PlatformFigs{}
	for _, p := range ov.ByPlatform {
		byPlatform[p.Platform] = p
	}
	if p := byPlatform["jd"]; p.GMVFen != jdBook.Ledger.GMVFen || p.RefundsFen != jdBook.Ledger.RefundsFen {
		t.Errorf("jd: GMV %d refunds %d fen, ledger %d and %d", p.GMVFen, p.RefundsFen, jdBook.Ledger.GMVFen, jdBook.Ledger.RefundsFen)
	}
	if p := byPlatform["kuaishou"]; p.GMVFen != ksBook.Ledger.GMVFen || p.RefundsFen != ksBook.Ledger.RefundsFen {
		t.Errorf("kuaishou: GMV %d refunds %d fen, ledger %d and %d", p.GMVFen, p.RefundsFen, ksBook.Ledger.GMVFen, ksBook.Ledger.RefundsFen)
	}
	for day, w := range jdBook.Ledger.ByDay {
		var d projections.Overview
		samples.GetJSON(t, node.URL(), "/api/v1/overview?from="+day+"&to="+day, &d)
		k := ksBook.Ledger.ByDay[day]
		if d.GMVFen != w.GMVFen+k.GMVFen || d.RefundsFen != w.RefundsFen+k.RefundsFen {
			t.Errorf("day %s: GMV %d refunds %d fen, ledgers %d and %d", day, d.GMVFen, d.RefundsFen, w.GMVFen+k.GMVFen, w.RefundsFen+k.RefundsFen)
		}
	}
	t.Logf("%d nodes stopped mid-poll; %d JD and %d Kuaishou paid orders", stops, jdBook.Ledger.OrdersPaid, ksBook.Ledger.OrdersPaid)
}
