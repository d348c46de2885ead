package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/demo"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// ReadsOptions configures `loquat bench reads`.
type ReadsOptions struct {
	// Orders paid over the year (one line each). Default 200,000.
	Orders int
	// Days the orders spread over, ending yesterday (China time). Default 365.
	Days int
	// Runs of sequential requests of every endpoint. Default 3.
	Runs int
	// Requests of each endpoint per run. Default 10.
	Requests int
	// ClickHouseDSN, when set, measures the ClickHouse read model too, in a
	// database of its own created on that server (and dropped after).
	ClickHouseDSN string
	// Rebuild also measures `loquat rebuild` of the data set. Default on
	// (SkipRebuild turns it off).
	SkipRebuild bool
	// Seed makes the data set (default 1).
	Seed uint64
	// Now is "today" (default time.Now): the data ends the day before.
	Now func() time.Time
	// Progress receives progress lines; default none.
	Progress io.Writer
}

func (o *ReadsOptions) setDefaults() {
	if o.Orders == 0 {
		o.Orders = 200000
	}
	if o.Days == 0 {
		o.Days = 365
	}
	if o.Runs == 0 {
		o.Runs = 3
	}
	if o.Requests == 0 {
		o.Requests = 10
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Validate reports every problem at once.
func (o ReadsOptions) Validate() error {
	var errs []error
	if o.Orders < 0 || o.Days < 0 || o.Runs < 0 || o.Requests < 0 {
		errs = append(errs, errors.New("bench reads: orders, days, runs and requests must not be negative"))
	}
	if o.ClickHouseDSN != "" {
		if _, err := url.Parse(o.ClickHouseDSN); err != nil {
			errs = append(errs, fmt.Errorf("bench reads: ClickHouse DSN: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ReadsResult is what `loquat bench reads` measured, per store.
type ReadsResult struct {
	ReadsOptions
	First, Last string // the data set's first and last day
	Stores      []StoreReads
}

// StoreReads is one read model's figures.
type StoreReads struct {
	Store string // sqlite | clickhouse
	// Events imported (payments and refunds) and the time from the start of
	// the import until the last was visible in the read model.
	Events        int
	ImportVisible time.Duration
	ImportRate    float64 // events/s
	Rebuild       time.Duration
	RebuildEvents int
	RebuildRate   float64 // events/s
	PeakRSS       int64   // bytes, the process's peak resident memory from the import's start to the last answer
	RSS           int64   // bytes, resident after the answers
	// AnswerPeakRSS is the peak from the import's end (the last event
	// visible) to the last answer: what a server that did not run the
	// import holds — `loquat import` runs in a process of its own, and its
	// per-file maps (every event's digest, every line's money) are live
	// heap proportional to the file until it ends.
	AnswerPeakRSS  int64
	ReadModelBytes int64 // the SQLite file (0 for ClickHouse)
	Endpoints      []EndpointTimes
}

// EndpointTimes are one endpoint's latencies.
type EndpointTimes struct {
	Name          string
	Path          string
	P50, P99, Max time.Duration
}

// RunReads builds the data set, imports it into each read model in turn,
// waits for it to be projected and times every endpoint.
func RunReads(ctx context.Context, o ReadsOptions) (ReadsResult, error) {
	o.setDefaults()
	res := ReadsResult{ReadsOptions: o}
	if err := o.Validate(); err != nil {
		return res, err
	}
	dir, err := os.MkdirTemp("", "loquat-bench-reads-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)

	today := o.Now().In(domain.ChinaTime)
	first := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, domain.ChinaTime).AddDate(0, 0, -o.Days)
	res.First, res.Last = domain.Day(first), domain.Day(first.AddDate(0, 0, o.Days-1))
	reg, err := demo.Registry(res.First)
	if err != nil {
		return res, err
	}
	csvPath := filepath.Join(dir, "orders.csv")
	fmt.Fprintf(o.Progress, "writing %d orders over %s..%s\n", o.Orders, res.First, res.Last)
	ds, err := writeOrders(csvPath, reg, first, o)
	if err != nil {
		return res, err
	}
	stores := []server.StoreConfig{{Backend: "sqlite"}}
	if o.ClickHouseDSN != "" {
		stores = append(stores, server.StoreConfig{Backend: "clickhouse", ClickHouseDSN: o.ClickHouseDSN})
	}
	for i, sc := range stores {
		r, err := measureStore(ctx, o, filepath.Join(dir, fmt.Sprintf("data-%d", i)), sc, reg, csvPath, ds)
		if err != nil {
			return res, fmt.Errorf("%s: %w", r.Store, err)
		}
		res.Stores = append(res.Stores, r)
	}
	return res, nil
}

// dataSet is what the answers are asked about.
type dataSet struct {
	first, last     time.Time
	livestreamID    string // a room's id
	livestreamDay   string // a day it sold on
	refunds, events int
}

// writeOrders writes the orders CSV in time order, as an export is: the
// orders spread evenly over the days, one line each of a demo listing
// (Douyin, JD, Kuaishou) paid at a random time of the day; Douyin rooms go
// live three evenings a week (a room each evening) and sell a third of
// those days' Douyin orders; 3% of orders are refunded (in full or in part) one to five days
// later.
func writeOrders(path string, reg *domain.RegistryFile, first time.Time, o ReadsOptions) (dataSet, error) {
	ds := dataSet{first: first, last: first.AddDate(0, 0, o.Days-1)}
	f, err := os.Create(path)
	if err != nil {
		return ds, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id")
	type sku struct {
		platform, id string
		price        domain.Fen
	}
	var skus []sku
	for _, s := range demo.Catalogue() {
		skus = append(skus, sku{"douyin", s.SKUID, s.PriceFen})
	}
	for _, s := range demo.JDCatalogue() {
		skus = append(skus, sku{"jd", s.SKUID, s.PriceFen})
	}
	for _, s := range demo.KuaishouCatalogue() {
		skus = append(skus, sku{"kuaishou", strconv.FormatInt(s.SkuID, 10), domain.Fen(s.PriceFen)})
	}
	r := rand.New(rand.NewPCG(o.Seed, 14))
	// A livestream is a room's evening: Douyin names a live session by its
	// room id, and a room is opened for each session.
	live := func(day int) string { // the room live that evening, or ""
		if day%7 == 1 || day%7 == 3 || day%7 == 5 {
			return strconv.FormatInt(6823941120781224715+int64(day), 10)
		}
		return ""
	}
	for d := o.Days - 1; d >= 0; d-- { // the latest livestream is the one asked for
		if room := live(d); room != "" {
			ds.livestreamID, ds.livestreamDay = "douyin:"+room, domain.Day(first.AddDate(0, 0, d))
			break
		}
	}
	at := func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }
	type refund struct {
		at   time.Time
		line string
	}
	var pending []refund // refunds not yet written, by time
	flush := func(until time.Time) {
		n := 0
		for n < len(pending) && !pending[n].at.After(until) {
			fmt.Fprint(w, pending[n].line)
			n++
		}
		pending = pending[n:]
	}
	type sale struct {
		at   time.Time
		sku  sku
		room string
	}
	i := 0
	for day := range o.Days {
		start := first.AddDate(0, 0, day)
		n := o.Orders / o.Days
		if day < o.Orders%o.Days {
			n++
		}
		sales := make([]sale, n)
		for k := range sales {
			x := sale{sku: skus[r.IntN(len(skus))], at: start.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))}
			if x.sku.platform == "douyin" && live(day) != "" && r.IntN(3) == 0 {
				x.room = live(day)
				x.at = start.Add(19*time.Hour + time.Duration(r.Int64N(int64(3*time.Hour))))
			}
			sales[k] = x
		}
		slices.SortFunc(sales, func(a, b sale) int { return a.at.Compare(b.at) })
		for _, x := range sales {
			flush(x.at)
			qty := 1 + r.IntN(3)
			amount := x.sku.price * domain.Fen(qty)
			order := fmt.Sprintf("B%s%09d", x.sku.platform[:1], i)
			i++
			fmt.Fprintf(w, "%s,%s,1,%s,%d,%s,paid,%s,%s\n", x.sku.platform, order, x.sku.id, qty, amount, at(x.at), x.room)
			ds.events++
			if r.IntN(100) < 3 {
				back := amount
				if r.IntN(2) == 0 {
					back = amount / 2
				}
				when := x.at.Add(time.Duration(1+r.IntN(5)) * 24 * time.Hour)
				line := fmt.Sprintf("%s,%s,1,%s,%d,%s,refunded,%s,\n", x.sku.platform, order, x.sku.id, qty, back, at(when))
				k, _ := slices.BinarySearchFunc(pending, when, func(p refund, t time.Time) int { return p.at.Compare(t) })
				pending = slices.Insert(pending, k, refund{when, line})
				ds.refunds++
				ds.events++
			}
		}
	}
	flush(ds.last.AddDate(1, 0, 0))
	if err := w.Flush(); err != nil {
		return ds, err
	}
	return ds, f.Close()
}

// measureStore runs a node on a fresh data dir, loads the registry,
// imports the orders, waits until they are projected, times the answers
// and, unless skipped, a rebuild.
func measureStore(ctx context.Context, o ReadsOptions, dataDir string, sc server.StoreConfig, reg *domain.RegistryFile,
	csvPath string, ds dataSet) (StoreReads, error) {
	res := StoreReads{Store: sc.Backend}
	if sc.Backend == "clickhouse" {
		db := fmt.Sprintf("loquat_bench_reads_%d", time.Now().UnixNano())
		u, err := url.Parse(sc.ClickHouseDSN)
		if err != nil {
			return res, err
		}
		u.Path = "/" + db
		sc.ClickHouseDSN = u.String()
		defer dropClickHouse(context.WithoutCancel(ctx), sc.ClickHouseDSN, db)
	}
	cfg := server.Config{DataDir: dataDir, Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler), Store: sc}
	node, err := server.Open(ctx, cfg)
	if err != nil {
		return res, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	stopped := false
	stopNode := func() error {
		if stopped {
			return nil
		}
		stopped = true
		stop()
		return <-done
	}
	defer stopNode()

	if _, err := registry.Append(ctx, reg, node.Writer()); err != nil {
		return res, err
	}
	if err := node.CaughtUp(ctx); err != nil {
		return res, err
	}
	runtime.GC()
	resetPeakRSS()
	f, err := os.Open(csvPath)
	if err != nil {
		return res, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return res, err
	}
	fmt.Fprintf(o.Progress, "%s: importing %d events\n", sc.Backend, ds.events)
	start := time.Now()
	sum, err := file.Import(ctx, f, info.Size(), file.Options{Source: "file:orders.csv", BatchSize: 1000}, node.Writer())
	if err != nil {
		return res, err
	}
	if sum.Rejected > 0 {
		return res, fmt.Errorf("the import rejected %d rows (see the dead letters): the generated data set is wrong", sum.Rejected)
	}
	if err := node.CaughtUp(ctx); err != nil {
		return res, err
	}
	res.Events = sum.Events
	res.ImportVisible = time.Since(start)
	res.ImportRate = float64(res.Events) / res.ImportVisible.Seconds()
	fmt.Fprintf(o.Progress, "%s: %d events visible in %s (%.0f/s); timing the answers\n", sc.Backend, res.Events,
		res.ImportVisible.Round(time.Millisecond), res.ImportRate)

	ov, err := node.Queries().Overview(ctx, projections.Period{})
	if err != nil {
		return res, err
	}
	if ov.Orders != int64(o.Orders) || ov.RefundedOrders != int64(ds.refunds) {
		return res, fmt.Errorf("the read model counts %d orders and %d refunded, the data set has %d and %d",
			ov.Orders, ov.RefundedOrders, o.Orders, ds.refunds)
	}
	importPeak, _ := procRSS()
	resetPeakRSS()
	if res.Endpoints, err = timeEndpoints(ctx, node.URL(), reg, ds, o); err != nil {
		return res, err
	}
	res.AnswerPeakRSS, res.RSS = procRSS()
	res.PeakRSS = max(importPeak, res.AnswerPeakRSS)
	if sc.Backend == "sqlite" {
		if st, err := os.Stat(server.ReadModelPath(dataDir)); err == nil {
			res.ReadModelBytes = st.Size()
		}
	}
	if err := stopNode(); err != nil && !errors.Is(err, context.Canceled) {
		return res, err
	}
	if o.SkipRebuild {
		return res, nil
	}
	fmt.Fprintf(o.Progress, "%s: rebuilding\n", sc.Backend)
	stats, err := server.Rebuild(ctx, dataDir, server.LogConfig{}, sc, func(string, int64, int64) {}, slog.New(slog.DiscardHandler))
	if err != nil {
		return res, fmt.Errorf("rebuild: %w", err)
	}
	res.Rebuild, res.RebuildEvents = stats.Took, int(stats.Events)
	res.RebuildRate = float64(stats.Events) / stats.Took.Seconds()
	return res, nil
}

// endpoints are the answers timed, with the data set's ids and periods.
func endpoints(reg *domain.RegistryFile, ds dataSet) [][2]string {
	week := "from=" + domain.Day(ds.last.AddDate(0, 0, -6)) + "&to=" + domain.Day(ds.last)
	enterprise := reg.Enterprises[0].ID
	village := reg.Villages[0].ID
	household := reg.Households[0].ID
	return [][2]string{
		{"overview, all time", "/api/v1/overview"},
		{"overview, one week", "/api/v1/overview?" + week},
		{"households, first page by -income_gain_fen", "/api/v1/households?sort=-income_gain_fen&limit=20"},
		{"households of a village below the line", "/api/v1/households?village_id=" + village + "&below_line=true"},
		{"one household", "/api/v1/households/" + household},
		{"one enterprise", "/api/v1/enterprises/" + enterprise},
		{"one enterprise, one week", "/api/v1/enterprises/" + enterprise + "?" + week},
		{"enterprises", "/api/v1/enterprises"},
		{"one village", "/api/v1/villages/" + village},
		{"villages", "/api/v1/villages"},
		{"one livestream (a room's day)", "/api/v1/livestreams/" + url.PathEscape(ds.livestreamID)},
		{"livestreams, one week", "/api/v1/livestreams?" + week},
		{"unattributed", "/api/v1/unattributed"},
		{"dead letters", "/api/v1/dead-letters"},
	}
}

// timeEndpoints asks every endpoint Requests times in each of Runs runs,
// sequentially, and reports the latencies' percentiles.
func timeEndpoints(ctx context.Context, base string, reg *domain.RegistryFile, ds dataSet, o ReadsOptions) ([]EndpointTimes, error) {
	eps := endpoints(reg, ds)
	times := make([][]time.Duration, len(eps))
	client := &http.Client{Timeout: 5 * time.Minute}
	for range o.Runs {
		for i, ep := range eps {
			for range o.Requests {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+ep[1], nil)
				if err != nil {
					return nil, err
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", ep[1], err)
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				took := time.Since(t0)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", ep[1], err)
				}
				if resp.StatusCode != http.StatusOK {
					return nil, fmt.Errorf("%s: %s", ep[1], resp.Status)
				}
				times[i] = append(times[i], took)
			}
		}
	}
	out := make([]EndpointTimes, len(eps))
	for i, ep := range eps {
		slices.Sort(times[i])
		out[i] = EndpointTimes{Name: ep[0], Path: ep[1], P50: percentile(times[i], 0.50), P99: percentile(times[i], 0.99), Max: percentile(times[i], 1)}
	}
	return out, nil
}

// resetPeakRSS starts the process's peak resident memory (VmHWM) afresh
// (Linux: writing 5 to clear_refs), so each store's peak is its own.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procRSS reads the process's peak and current resident memory (Linux;
// zeros elsewhere).
func procRSS() (peak, now int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmHWM:":
			peak = kb << 10
		case "VmRSS:":
			now = kb << 10
		}
	}
	return peak, now
}

// dropClickHouse drops the run's database.
func dropClickHouse(ctx context.Context, dsn, db string) {
	opts, err := ch.ParseDSN(dsn)
	if err != nil {
		return
	}
	opts.Auth.Database = "default"
	conn, err := ch.Open(opts)
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
}
