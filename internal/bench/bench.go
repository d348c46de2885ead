// Package bench measures the embedded pipeline end to end (`loquat bench`):
// a simulated Douyin livestream pushed through the signed endpoint, with
// order details fetched from the simulated platform, appended to the
// embedded log, projected into the SQLite read model — and, in the same run,
// a plain batched SQLite insert of the same ledger rows as the yardstick.
package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/demo"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// Options configures a run.
type Options struct {
	// Orders paid in the simulated day. Default 20000.
	Orders int
	// Pushers push concurrently, like the platform's push workers. Default 4.
	Pushers int
	// BatchSize is messages per push. Default 100.
	BatchSize int
	// Sync is the embedded event log's synchronous setting, FULL (default) or NORMAL.
	Sync string
	// EventLog selects another event log (Kafka); default the embedded one.
	EventLog server.LogConfig
	// Store selects another read model (ClickHouse); default SQLite. The
	// SQLite yardstick is measured only with the SQLite store.
	Store server.StoreConfig
	// PacedRate is the push rate, in messages per second, of the second
	// phase, which measures freshness at a steady load below saturation.
	// Default 5000.
	PacedRate int
	// Progress receives progress lines; default none.
	Progress io.Writer
	// CPUProfile, when set, receives a CPU profile of the throughput phase
	// alone (first push to last commit), not of the set-up, the paced phase
	// or the yardstick, so it shows where the measured seconds go.
	CPUProfile io.Writer
}

func (o *Options) setDefaults() {
	if o.Orders == 0 {
		o.Orders = 20000
	}
	if o.Pushers == 0 {
		o.Pushers = 4
	}
	if o.BatchSize == 0 {
		o.BatchSize = 100
	}
	if o.Sync == "" {
		o.Sync = "FULL"
	}
	if o.PacedRate == 0 {
		o.PacedRate = 5000
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Result is what a run measured.
type Result struct {
	Options
	Messages, Events int
	LedgerRows       int
	Pipeline         time.Duration // first push sent → last event committed to the read model
	EventsPerSecond  float64
	// PipelineCPU is the CPU time (user + system) the whole process spent
	// over Pipeline: node, simulated platform and pushers together. Less
	// noisy than the rate on a shared machine; a change that saves CPU
	// shows here first.
	PipelineCPU time.Duration
	// Freshness is push answered → its events visible in the read model,
	// while pushing as fast as the pushers can (saturated)...
	FreshP50, FreshP99, FreshMax time.Duration
	// ...and at PacedRate messages per second.
	PacedMessages                               int
	PacedFreshP50, PacedFreshP99, PacedFreshMax time.Duration
	Baseline                                    time.Duration // plain batched insert of the same ledger rows
	BaselineEventsPerSecond                     float64
	Ratio                                       float64 // EventsPerSecond ÷ BaselineEventsPerSecond
	GMVFen, WantGMVFen                          domain.Fen
}

const (
	appKey    = "7100000000000000009"
	appSecret = "loquat-bench-secret"
	token     = "loquat-bench-token"
)

type push struct {
	answered time.Time
	end      eventlog.Positions // the log's end after the answer: covers the push's events
}

type commit struct {
	at        time.Time
	positions eventlog.Positions
}

// Run runs the benchmark in a temporary directory.
func Run(ctx context.Context, o Options) (Result, error) {
	o.setDefaults()
	res := Result{Options: o}
	dir, err := os.MkdirTemp("", "loquat-bench-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	platform, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppKey: appKey, AppSecret: appSecret, AccessToken: token})
	if err != nil {
		return res, err
	}
	simL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	sim := &http.Server{Handler: platform}
	go sim.Serve(simL)
	defer sim.Close()

	var mu sync.Mutex
	var commits []commit
	cfg := server.Config{
		DataDir: filepath.Join(dir, "data"), Addr: "127.0.0.1:0",
		Logger: slog.New(slog.DiscardHandler),
		Platforms: []ingest.Source{douyin.Config{AppKey: appKey, AppSecret: appSecret, AccessToken: token, APIBaseURL: "http://" + simL.Addr().String(),
			DetailConcurrency: 8}},
		Projector: projections.ProjectorConfig{OnCommit: func(s projections.CommitStats) {
			mu.Lock()
			commits = append(commits, commit{at: time.Now(), positions: s.Positions.Clone()})
			mu.Unlock()
		}},
	}
	cfg.EventLog = o.EventLog
	cfg.Store = o.Store
	cfg.EventLog.SQLite.Synchronous = o.Sync
	node, err := server.Open(ctx, cfg)
	if err != nil {
		return res, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	defer func() { stop(); <-done }()

	reg, err := demo.Registry("2020-04-30")
	if err != nil {
		return res, err
	}
	if _, err := registry.Append(ctx, reg, node.Writer()); err != nil {
		return res, err
	}
	day, err := douyinsim.GenerateLiveDay(douyinsim.DayOptions{Date: "2020-04-30", Catalogue: demo.Catalogue(),
		RoomID: 6823941120781224715, AnchorID: 71286300123, Orders: o.Orders, Seed: 42})
	if err != nil {
		return res, err
	}
	if err := platform.AddOrders(day.Orders...); err != nil {
		return res, err
	}
	if err := node.CaughtUp(ctx); err != nil {
		return res, err
	}
	start, err := node.Log().End(ctx, eventlog.TopicEvents)
	if err != nil {
		return res, err
	}
	res.Messages = len(day.Messages)
	fmt.Fprintf(o.Progress, "pushing %d messages (%d orders) with %d pushers, %d messages a push, event log synchronous=%s\n",
		len(day.Messages), o.Orders, o.Pushers, o.BatchSize, o.Sync)

	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return res, fmt.Errorf("starting the CPU profile: %w", err)
		}
	}
	cpu0 := processCPU()
	pushes, t0, err := pushAll(ctx, node, day.Messages, o, 0)
	if err == nil {
		err = node.CaughtUp(ctx)
	}
	res.PipelineCPU = processCPU() - cpu0
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return res, err
	}
	end, err := node.Log().End(ctx, eventlog.TopicEvents)
	if err != nil {
		return res, err
	}
	mu.Lock()
	last := commits[len(commits)-1].at
	fresh := freshness(pushes, commits)
	mu.Unlock()
	res.Events = int(total(end) - total(start))
	res.Pipeline = last.Sub(t0)
	res.EventsPerSecond = float64(res.Events) / res.Pipeline.Seconds()
	res.FreshP50, res.FreshP99, res.FreshMax = percentile(fresh, 0.50), percentile(fresh, 0.99), percentile(fresh, 1)

	ov, err := node.Queries().Overview(ctx, projections.Period{})
	if err != nil {
		return res, err
	}
	res.GMVFen, res.WantGMVFen = ov.GMVFen, day.Ledger.GMVFen
	if ov.GMVFen != day.Ledger.GMVFen || ov.RefundsFen != day.Ledger.RefundsFen {
		return res, fmt.Errorf("read model disagrees with the simulated ledger: GMV %d/%d refunds %d/%d fen",
			ov.GMVFen, day.Ledger.GMVFen, ov.RefundsFen, day.Ledger.RefundsFen)
	}

	sqliteStore := o.Store.Backend == "" || o.Store.Backend == "sqlite"
	var lastEntry int64
	if sqliteStore {
		if lastEntry, err = maxEntry(ctx, server.ReadModelPath(cfg.DataDir)); err != nil {
			return res, err
		}
	}

	// Phase 2: a day of a quarter the orders, pushed at a steady rate.
	paced, err := douyinsim.GenerateLiveDay(douyinsim.DayOptions{Date: "2020-05-01", Catalogue: demo.Catalogue(),
		RoomID: 6823941120781224715, AnchorID: 71286300123, Orders: max(o.Orders/4, 1), Seed: 43})
	if err != nil {
		return res, err
	}
	if err := platform.AddOrders(paced.Orders...); err != nil {
		return res, err
	}
	fmt.Fprintf(o.Progress, "pipeline: %d events in %s; now %d messages at %d a second\n",
		res.Events, res.Pipeline.Round(time.Millisecond), len(paced.Messages), o.PacedRate)
	mu.Lock()
	commits = nil
	mu.Unlock()
	pushes, _, err = pushAll(ctx, node, paced.Messages, o, o.PacedRate)
	if err != nil {
		return res, err
	}
	if err := node.CaughtUp(ctx); err != nil {
		return res, err
	}
	mu.Lock()
	fresh = freshness(pushes, commits)
	mu.Unlock()
	res.PacedMessages = len(paced.Messages)
	res.PacedFreshP50, res.PacedFreshP99, res.PacedFreshMax = percentile(fresh, 0.50), percentile(fresh, 0.99), percentile(fresh, 1)

	if !sqliteStore {
		return res, nil
	}
	fmt.Fprintf(o.Progress, "now the plain batched insert of the same ledger rows\n")
	res.LedgerRows, res.Baseline, err = baseline(ctx, server.ReadModelPath(cfg.DataDir), filepath.Join(dir, "baseline.db"), lastEntry)
	if err != nil {
		return res, err
	}
	res.BaselineEventsPerSecond = float64(res.Events) / res.Baseline.Seconds()
	res.Ratio = res.EventsPerSecond / res.BaselineEventsPerSecond
	return res, nil
}

// pushAll pushes the messages in time order, split into batches taken by
// o.Pushers concurrent pushers, and records when each push was answered and
// how far the log reached by then. A rate above zero paces the batches to
// that many messages a second.
func pushAll(ctx context.Context, node *server.Node, msgs []douyinsim.Message, o Options, rate int) ([]push, time.Time, error) {
	sort.SliceStable(msgs, func(i, j int) bool { return msgs[i].At.Before(msgs[j].At) })
	batches := make(chan []byte)
	var encodeErr error
	go func() {
		defer close(batches)
		var tick <-chan time.Time
		if rate > 0 {
			t := time.NewTicker(time.Duration(float64(time.Second) * float64(o.BatchSize) / float64(rate)))
			defer t.Stop()
			tick = t.C
		}
		for lo := 0; lo < len(msgs); lo += o.BatchSize {
			if tick != nil {
				<-tick
			}
			body, err := douyinsim.EncodeBatch(msgs[lo:min(lo+o.BatchSize, len(msgs))])
			if err != nil {
				encodeErr = err
				return
			}
			batches <- body
		}
	}()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Pushers}}
	url := node.URL() + "/ingest/douyin"
	var mu sync.Mutex
	var pushes []push
	var errs []error
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < o.Pushers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for body := range batches {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
				req.Header.Set("event-sign", douyinsim.PushSignature(appKey, appSecret, body, douyinsim.SignMD5))
				resp, err := client.Do(req)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				answered := time.Now()
				if resp.StatusCode != http.StatusOK {
					mu.Lock()
					errs = append(errs, fmt.Errorf("push answered HTTP %d: %s", resp.StatusCode, answer))
					mu.Unlock()
					return
				}
				end, err := node.Log().End(ctx, eventlog.TopicEvents)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				mu.Lock()
				pushes = append(pushes, push{answered: answered, end: end})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return pushes, t0, errors.Join(append(errs, encodeErr)...)
}

// processCPU is the CPU time the process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// freshness is, for each push, the time from its answer to the first commit
// covering the log as it stood after the answer (an upper bound on when its
// events became visible).
func freshness(pushes []push, commits []commit) []time.Duration {
	out := make([]time.Duration, 0, len(pushes))
	for _, p := range pushes {
		// Commits only move forward, so the first covering one is found by bisection.
		i := sort.Search(len(commits), func(i int) bool { return commits[i].positions.Covers(p.end) })
		if i == len(commits) {
			continue
		}
		out = append(out, max(0, commits[i].at.Sub(p.answered)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func total(p eventlog.Positions) int64 {
	var n int64
	for _, off := range p {
		n += off
	}
	return n
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(q*float64(len(d))+0.5) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// maxEntry is the id of the read model's last ledger entry: the end of
// the first phase's rows.
func maxEntry(ctx context.Context, readModel string) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+readModel+"?_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var id int64
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM entries`).Scan(&id)
	return id, err
}

// baselineColumns are a ledger row's attributes as the projector produces
// them (projections.LedgerRow): one self-contained row per party per entry.
const baselineColumns = `platform, order_id, line_id, entry_id, kind, at, day, minute, sku_id, product,
	enterprise_id, village_id, livestream_id, buyer_ref, party_kind, party_id, amount_fen`

// baseline is the yardstick: the same ledger rows, each with all its
// attributes, inserted into a new SQLite file with plain batched inserts (a
// table without secondary indexes, 50 rows a statement, 5,000 a
// transaction, the read model's pragmas). It is the least any store of the
// attributed ledger must do; the pipeline does that and everything else.
func baseline(ctx context.Context, readModel, target string, lastEntry int64) (int, time.Duration, error) {
	src, err := sql.Open("sqlite", "file:"+readModel+"?_pragma=query_only(1)")
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	rows, err := src.QueryContext(ctx, `SELECT e.platform, e.order_id, e.line_id, e.entry_id, e.kind, e.at, e.day, e.minute, e.sku_id, e.product,
		e.enterprise_id, e.village_id, e.livestream_id, e.buyer_ref, l.party_kind, l.party_id, l.amount_fen
		FROM ledger l JOIN entries e ON e.id = l.entry WHERE l.entry <= ? ORDER BY l.entry`, lastEntry)
	if err != nil {
		return 0, 0, err
	}
	cols, _ := rows.Columns()
	var data [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return 0, 0, err
		}
		data = append(data, vals)
	}
	rows.Close()

	dst, err := sql.Open("sqlite", "file:"+target+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)")
	if err != nil {
		return 0, 0, err
	}
	defer dst.Close()
	dst.SetMaxOpenConns(1)
	if _, err := dst.ExecContext(ctx, `CREATE TABLE ledger_rows (`+baselineColumns+`)`); err != nil {
		return 0, 0, fmt.Errorf("baseline schema: %w", err)
	}
	const perStmt, perTx = 50, 5000
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	insert := func(n int) string {
		return `INSERT INTO ledger_rows (` + baselineColumns + `) VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
	}
	start := time.Now()
	for lo := 0; lo < len(data); lo += perTx {
		tx, err := dst.BeginTx(ctx, nil)
		if err != nil {
			return 0, 0, err
		}
		stmt, err := tx.PrepareContext(ctx, insert(perStmt))
		if err != nil {
			return 0, 0, err
		}
		chunk := data[lo:min(lo+perTx, len(data))]
		for s := 0; s < len(chunk); s += perStmt {
			part := chunk[s:min(s+perStmt, len(chunk))]
			args := make([]any, 0, len(cols)*len(part))
			for _, r := range part {
				args = append(args, r...)
			}
			if len(part) == perStmt {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, insert(len(part)), args...)
			}
			if err != nil {
				return 0, 0, err
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return 0, 0, err
		}
	}
	return len(data), time.Since(start), nil
}
