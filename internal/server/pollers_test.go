package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
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
			Platforms: []ingest.Source{jdCfg, ksCfg}})
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

	checkNoConflicts(t, node.URL())
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

// latency delays every answer by d, as a platform across a network does.
func latency(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		h.ServeHTTP(w, r)
	})
}

// runNode opens a node with pollers on a new data dir and runs it until
// the test ends; a node that cannot open fails the test.
func runNode(t *testing.T, pollers ...ingest.Source) *server.Node {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Platforms: pollers})
	if err != nil {
		cancel()
		t.Fatalf("opening a node with pollers: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})
	return node
}

// polled waits up to a minute for node's pollers to catch up once.
func polled(node *server.Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return node.Polled(ctx)
}

// readyz is the /readyz answer with the pollers' status.
type readyz struct {
	Status  string `json:"status"`
	Error   string `json:"error"`
	Pollers []struct {
		Platform    string `json:"platform"`
		Poller      string `json:"poller"`
		CoveredTo   string `json:"covered_to"`
		CaughtUpAt  string `json:"caught_up_at"`
		Calls       int64  `json:"calls"`
		Errors      int64  `json:"errors"`
		LastError   string `json:"last_error"`
		LastErrorAt string `json:"last_error_at"`
		LookbackGap *struct {
			From, To, Note string
		} `json:"lookback_gap"`
		Stopped string `json:"stopped"`
	} `json:"pollers"`
}

func getReadyz(t *testing.T, node *server.Node) (int, readyz) {
	t.Helper()
	resp, err := http.Get(node.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r readyz
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return resp.StatusCode, r
}

// TestPollersRestAndReport runs a node's JD and Kuaishou pollers over the
// real clock against simulated platforms that answer after 5ms and refuse
// some calls as rate-limited, each poller started further back than its
// platform searches (JD 120 days, Kuaishou 100):
//   - the node starts and both catch up from the earliest their platform
//     allows (a Kuaishou start beyond 90 days failed serve before);
//   - caught up, each makes at most 2 calls in 5s, counted at the platform
//     (Kuaishou made hundreds: its window end moved with the clock in ms);
//   - /readyz and /metrics show per poller its covered-to time, calls and
//     errors (equal to the platform's counts), last error and look-back gap.
func TestPollersRestAndReport(t *testing.T) {
	now := time.Now()
	jdBook, err := jdsim.Generate(jdsim.GenerateOptions{From: now.Add(-30 * time.Hour), Span: 24 * time.Hour, Orders: 60, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	ksBook, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: now.Add(-30 * time.Hour), Span: 24 * time.Hour, Orders: 60, Seed: 22})
	if err != nil {
		t.Fatal(err)
	}
	jdSim, err := jdsim.New(jdsim.Options{Clock: time.Now, RateLimitEvery: 3, MaxLookback: jd.DefaultMaxLookback})
	if err != nil {
		t.Fatal(err)
	}
	if err := jdSim.AddOrders(jdBook.Orders...); err != nil {
		t.Fatal(err)
	}
	ksSim, err := kuaishousim.New(kuaishousim.Options{Clock: time.Now, RateLimitEvery: 4})
	if err != nil {
		t.Fatal(err)
	}
	if err := ksSim.AddOrders(ksBook.Orders...); err != nil {
		t.Fatal(err)
	}
	jdAPI := httptest.NewServer(latency(5*time.Millisecond, jdSim))
	defer jdAPI.Close()
	ksAPI := httptest.NewServer(latency(5*time.Millisecond, ksSim))
	defer ksAPI.Close()

	jdCfg := samples.JDConfig(jdAPI.URL)
	jdCfg.Start, jdCfg.Now, jdCfg.Window, jdCfg.Interval = now.AddDate(0, 0, -120), time.Now, 30*24*time.Hour, 0 // default Interval, 30s
	jdCfg.RetryBackoff, jdCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
	ksCfg := samples.KuaishouConfig(ksAPI.URL)
	ksCfg.Start, ksCfg.Now, ksCfg.Window, ksCfg.Interval = now.AddDate(0, 0, -100), time.Now, 6*24*time.Hour, 0
	ksCfg.RetryBackoff, ksCfg.MaxRetryBackoff = time.Millisecond, 5*time.Millisecond
	node := runNode(t, jdCfg, ksCfg)
	if err := polled(node); err != nil {
		t.Fatal(err)
	}

	jdCalls, ksCalls := jdSim.Requests(), ksSim.Requests()
	time.Sleep(5 * time.Second)
	if got := jdSim.Requests() - jdCalls; got > 2 {
		t.Errorf("caught-up JD poller: %d calls in 5s, want at most 2", got)
	}
	if got := ksSim.Requests() - ksCalls; got > 2 {
		t.Errorf("caught-up Kuaishou poller: %d calls in 5s, want at most 2", got)
	}

	code, ready := getReadyz(t, node)
	if code != http.StatusOK || ready.Status != "ready" || len(ready.Pollers) != 2 {
		t.Fatalf("/readyz %d %+v: want ready with two pollers", code, ready)
	}
	sims := map[string]interface {
		Requests() int
		Answered() map[string]int
	}{"jd": jdSim, "kuaishou": ksSim}
	ok := map[string]string{"jd": "ok", "kuaishou": "1"}
	lookback := map[string]time.Duration{"jd": jd.DefaultMaxLookback, "kuaishou": kuaishou.MaxLookback}
	for _, p := range ready.Pollers {
		sim := sims[p.Platform]
		answered := sim.Answered()
		wantErrors := int64(sim.Requests() - answered[ok[p.Platform]])
		if p.Calls != int64(sim.Requests()) || p.Errors != wantErrors || p.Errors == 0 {
			t.Errorf("%s: /readyz says %d calls, %d errors; the platform counted %d requests, %v", p.Platform, p.Calls, p.Errors, sim.Requests(), answered)
		}
		covered, err := time.Parse(time.RFC3339, p.CoveredTo)
		if err != nil || now.Sub(covered) > 2*time.Minute || p.CaughtUpAt == "" {
			t.Errorf("%s: covered to %q (%v), caught up at %q: want about now less the safety lag", p.Platform, p.CoveredTo, err, p.CaughtUpAt)
		}
		if p.LastError == "" || p.LastErrorAt == "" {
			t.Errorf("%s: last error %q at %q: want the rate limit", p.Platform, p.LastError, p.LastErrorAt)
		}
		if p.LookbackGap == nil || !strings.Contains(p.LookbackGap.Note, "loquat import") {
			t.Errorf("%s: look-back gap %+v: want one, pointing to loquat import", p.Platform, p.LookbackGap)
		} else if to, err := time.Parse(time.RFC3339, p.LookbackGap.To); err != nil || to.Before(now.Add(-lookback[p.Platform])) || to.After(now.Add(-lookback[p.Platform]+2*time.Hour)) {
			t.Errorf("%s: look-back gap to %q, want just inside %s back", p.Platform, p.LookbackGap.To, lookback[p.Platform])
		}
	}

	resp, err := http.Get(node.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	for _, p := range ready.Pollers {
		labels := fmt.Sprintf(`{platform=%q,poller=%q}`, p.Platform, p.Poller)
		for _, want := range []string{
			"loquat_poller_calls_total" + labels + " " + strconv.FormatInt(p.Calls, 10),
			"loquat_poller_errors_total" + labels + " " + strconv.FormatInt(p.Errors, 10),
			"loquat_poller_covered_to_seconds" + labels + " ",
			"loquat_poller_lookback_gap_seconds" + labels + " ",
			"loquat_poller_up" + labels + " 1",
			"loquat_poller_platform_clock_behind_seconds" + labels + " 0",
			`loquat_poller_last_error_info{error=`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	}
}

// TestStoppedPollerOnReadyz: a poller that failed for good (a token the
// platform refuses) makes /readyz answer 503 naming it, with its status:
// the error that stopped it, its calls and errors; /metrics says it is
// down.
func TestStoppedPollerOnReadyz(t *testing.T) {
	ksSim, err := kuaishousim.New(kuaishousim.Options{Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	ksAPI := httptest.NewServer(ksSim)
	defer ksAPI.Close()
	ksCfg := samples.KuaishouConfig(ksAPI.URL)
	ksCfg.Start, ksCfg.Now, ksCfg.AccessToken = time.Now().Add(-time.Hour), time.Now, "a-revoked-token"
	node := runNode(t, ksCfg)
	if err := polled(node); err == nil {
		t.Fatal("Polled: want the poller's failure")
	}
	// Not ready for other reasons while the node starts (its consumers);
	// then for the poller's.
	code, ready := getReadyz(t, node)
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(ready.Error, "kuaishou") && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, ready = getReadyz(t, node)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(ready.Error, "kuaishou") || len(ready.Pollers) != 1 {
		t.Fatalf("/readyz %d %+v: want 503 naming the kuaishou poller, with its status", code, ready)
	}
	p := ready.Pollers[0]
	if !strings.Contains(p.Stopped, "10004") || !strings.Contains(p.LastError, "10004") || p.Calls != int64(ksSim.Requests()) || p.Errors != p.Calls {
		t.Errorf("status %+v: want stopped by result 10004 (token), every one of the platform's %d calls an error", p, ksSim.Requests())
	}
	resp, err := http.Get(node.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `loquat_poller_up{platform="kuaishou",poller="kuaishou"} 0`; !strings.Contains(string(body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// TestPollerOutlivesOutageAtStart: a platform down while the node starts
// fails the poller's catch-up, which then goes on polling instead of
// stopping for good (it did): once the platform answers it catches up, and
// /readyz is ready with the outage's errors counted.
func TestPollerOutlivesOutageAtStart(t *testing.T) {
	ksSim, err := kuaishousim.New(kuaishousim.Options{Clock: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Int32
	down.Store(4) // the catch-up's two attempts and Run's first two
	ksAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		ksSim.ServeHTTP(w, r)
	}))
	defer ksAPI.Close()
	ksCfg := samples.KuaishouConfig(ksAPI.URL)
	ksCfg.Start, ksCfg.Now, ksCfg.MaxAttempts = time.Now().Add(-time.Hour), time.Now, 2
	ksCfg.Interval, ksCfg.RetryBackoff, ksCfg.MaxRetryBackoff = 50*time.Millisecond, time.Millisecond, time.Millisecond
	node := runNode(t, ksCfg)
	if err := polled(node); err != nil {
		t.Fatalf("Polled: %v; want the poller to catch up once the platform answers", err)
	}
	code, ready := getReadyz(t, node)
	for deadline := time.Now().Add(30 * time.Second); code != http.StatusOK && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		code, ready = getReadyz(t, node)
	}
	if code != http.StatusOK || len(ready.Pollers) != 1 || ready.Pollers[0].Errors != 4 || ready.Pollers[0].CaughtUpAt == "" || ready.Pollers[0].Stopped != "" {
		t.Errorf("/readyz %d %+v: want ready, the poller caught up after 4 failed calls", code, ready)
	}
}
