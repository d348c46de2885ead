package bench_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/testenv"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/bench"
	"github.com/loquat-dev/loquat/internal/demo"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// clickhouseDSN is the test server's DSN with a database of its own.
func clickhouseDSN(b *testing.B) string {
	dsn := testenv.ClickHouseDSN(b)
	return fmt.Sprintf("%s/loquat_bench_%d", dsn[:strings.LastIndex(dsn, "/")], rand.Uint64())
}

// BenchmarkEndToEndKafkaClickHouse is `loquat bench` on the cluster
// deployment's components: the Kafka event log (kfake, in this process) and
// the ClickHouse read model.
//
//	eval "$(scripts/clickhouse.sh start)"
//	go test -run '^$' -bench EndToEndKafkaClickHouse -benchtime 1x ./internal/bench/
func BenchmarkEndToEndKafkaClickHouse(b *testing.B) {
	dsn := clickhouseDSN(b)
	for i := 0; i < b.N; i++ {
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			b.Fatal(err)
		}
		r, err := bench.Run(context.Background(), bench.Options{
			EventLog: server.LogConfig{Backend: "kafka", Kafka: server.KafkaConfig{Brokers: cluster.ListenAddrs(), Partitions: 8}},
			Store:    server.StoreConfig{Backend: "clickhouse", ClickHouseDSN: dsn + strconv.Itoa(i)},
		})
		cluster.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(r.EventsPerSecond, "events/s")
		b.ReportMetric(float64(r.FreshP99.Microseconds())/1000, "fresh-p99-ms")
		b.ReportMetric(float64(r.PacedFreshP50.Microseconds())/1000, "paced-fresh-p50-ms")
		b.ReportMetric(float64(r.PacedFreshP99.Microseconds())/1000, "paced-fresh-p99-ms")
	}
}

// BenchmarkKafkaToClickHouse times the Kafka-to-ClickHouse half of the
// cluster pipeline alone: a generated data set (LOQUAT_BENCH_ORDERS orders,
// default 60000, of four platforms, shuffled, a tenth delivered twice) is
// published to a kfake broker (8 partitions) beforehand, then `loquat
// rebuild --store clickhouse` replays it — the registry topic, then every
// event through the real projector into new tables, swapped in at the end.
//
//	eval "$(scripts/clickhouse.sh start)"
//	go test -run '^$' -bench KafkaToClickHouse -benchtime 1x ./internal/bench/
func BenchmarkKafkaToClickHouse(b *testing.B) {
	dsn := clickhouseDSN(b)
	orders := 60000
	if v := os.Getenv("LOQUAT_BENCH_ORDERS"); v != "" {
		orders, _ = strconv.Atoi(v)
	}
	ds := storetest.Generate(91, orders)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
		if err != nil {
			b.Fatal(err)
		}
		logCfg := server.LogConfig{Backend: "kafka", Kafka: server.KafkaConfig{Brokers: cluster.ListenAddrs(), Partitions: 8}}
		dir := b.TempDir()
		log, err := server.OpenLog(dir, logCfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		w := eventlog.NewWriter(log.Publisher())
		if err := w.Append(ctx, ds.Registry...); err != nil {
			b.Fatal(err)
		}
		for from := 0; from < len(ds.Events); from += 1000 {
			if err := w.Append(ctx, ds.Events[from:min(from+1000, len(ds.Events))]...); err != nil {
				b.Fatal(err)
			}
		}
		log.Close()
		store := server.StoreConfig{Backend: "clickhouse", ClickHouseDSN: dsn + strconv.Itoa(i)}
		b.StartTimer()
		stats, err := server.Rebuild(ctx, dir, logCfg, store, nil, nil)
		b.StopTimer()
		cluster.Close()
		if err != nil {
			b.Fatal(err)
		}
		if stats.Events != int64(len(ds.Events)) {
			b.Fatalf("replayed %d events, published %d", stats.Events, len(ds.Events))
		}
		b.ReportMetric(float64(stats.Events)/stats.Took.Seconds(), "events/s")
		b.Logf("%d events (%d orders) from Kafka into ClickHouse in %v", stats.Events, orders, stats.Took.Round(time.Millisecond))
		cs, err := clickhouse.Open(ctx, clickhouse.Config{DSN: store.ClickHouseDSN})
		if err != nil {
			b.Fatal(err)
		}
		storetest.CheckReference(b, &projections.Queries{Store: cs}, ds.Want)
		cs.Close()
	}
}

// BenchmarkClickHouseQueries projects paid lines of the demo district's
// listings (10 to 25 households each, so about 20 ledger rows a line) over
// 60 days through the real projector into ClickHouse until the ledger holds
// LOQUAT_BENCH_LEDGER_ROWS rows (default 10 million), then times the API's
// queries: the overview, a household, an enterprise, a livestream.
//
//	eval "$(scripts/clickhouse.sh start)"
//	go test -run '^$' -bench ClickHouseQueries -benchtime 1x -timeout 30m ./internal/bench/
func BenchmarkClickHouseQueries(b *testing.B) {
	dsn := clickhouseDSN(b)
	want := 10_000_000
	if v := os.Getenv("LOQUAT_BENCH_LEDGER_ROWS"); v != "" {
		want, _ = strconv.Atoi(v)
	}
	ctx := context.Background()
	start := time.Date(2021, 3, 1, 0, 0, 0, 0, domain.ChinaTime)
	reg, err := demo.Registry(domain.Day(start))
	if err != nil {
		b.Fatal(err)
	}
	// LOQUAT_BENCH_CLICKHOUSE_DATABASE names a database an earlier run
	// loaded (runs keep theirs): the queries are timed on it, without loading.
	reuse := os.Getenv("LOQUAT_BENCH_CLICKHOUSE_DATABASE")
	if reuse != "" {
		dsn = dsn[:strings.LastIndex(dsn, "/")+1] + reuse
	}
	store, err := clickhouse.Open(ctx, clickhouse.Config{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()

	// Lines of every listing, attributed to between 10 and 25 households.
	var listings []domain.Listing
	for _, l := range reg.Listings {
		listings = append(listings, l)
	}
	shares := 0
	for _, l := range listings {
		shares += len(l.Households) + 2
	}
	perLine := float64(shares) / float64(len(listings))
	lines := int(float64(want) / perLine)
	index := domain.NewRegistry()
	for _, e := range reg.Events() {
		index.Apply(e)
	}
	ledgerRows := 0
	count := func(platform, sku string, created time.Time, amount domain.Fen) {
		s, err := domain.AttributeLine(amount, index.ListingAt(platform, sku, created))
		if err != nil {
			b.Fatal(err)
		}
		ledgerRows += len(s)
	}
	r := rand.New(rand.NewPCG(10, 11))
	events := make([]domain.Event, 0, lines+lines/30)
	for i := 0; i < lines; i++ {
		l := listings[r.IntN(len(listings))]
		at := start.Add(time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))
		pl := domain.PaidLine{LineID: "1", SKUID: l.SKUID, Quantity: 1, AmountFen: domain.Fen(1000 + r.IntN(20000))}
		if l.Platform == "douyin" {
			pl.Livestream = &domain.LivestreamRef{RoomID: strconv.Itoa(1 + r.IntN(20)), AnchorName: "anchor"}
		}
		events = append(events, &domain.OrderPaid{Platform: l.Platform, OrderID: fmt.Sprintf("B%08d", i), CreatedAt: at, PaidAt: at.Add(time.Minute),
			BuyerRef: fmt.Sprintf("u%d", r.IntN(lines/3+1)), Lines: []domain.PaidLine{pl}})
		count(l.Platform, l.SKUID, at, pl.AmountFen)
		if i%30 == 0 {
			count(l.Platform, l.SKUID, at, -(pl.AmountFen / 2))
			events = append(events, &domain.RefundSucceeded{Platform: l.Platform, OrderID: fmt.Sprintf("B%08d", i), LineID: "1", RefundID: "r",
				AmountFen: pl.AmountFen / 2, RefundedAt: at.Add(48 * time.Hour)})
		}
	}
	if reuse == "" {
		b.Logf("loading %s", dsn)
		loadStart := time.Now()
		storetest.Feed{Registry: reg.Events(), Events: events, Pipeline: true}.Project(b, store, 50000)
		load := time.Since(loadStart)
		b.Logf("projected %d events (%d paid lines, %d ledger rows) in %s: %.0f events/s, %.0f ledger rows/s",
			len(events), lines, ledgerRows, load.Round(time.Second), float64(len(events))/load.Seconds(), float64(ledgerRows)/load.Seconds())
	}
	b.ReportMetric(float64(ledgerRows), "ledger-rows")

	q := &projections.Queries{Store: store, Now: func() time.Time { return start.AddDate(0, 2, 0) }}
	queries := []struct {
		name string
		run  func() error
	}{
		{"overview", func() error { _, err := q.Overview(ctx, projections.Period{}); return err }},
		{"overview-day", func() error {
			_, err := q.Overview(ctx, projections.Period{From: "2021-03-15", To: "2021-03-15"})
			return err
		}},
		{"household", func() error {
			_, err := q.Household(ctx, reg.Households[r.IntN(len(reg.Households))].ID, projections.Period{})
			return err
		}},
		{"enterprise", func() error { _, err := q.Enterprise(ctx, "E-QINGXI", projections.Period{}); return err }},
		{"livestream", func() error { _, err := q.Livestream(ctx, "douyin:"+strconv.Itoa(1+r.IntN(20))); return err }},
	}
	runs := 100 // LOQUAT_BENCH_QUERY_RUNS: calls of each query
	if v := os.Getenv("LOQUAT_BENCH_QUERY_RUNS"); v != "" {
		runs, _ = strconv.Atoi(v)
	}
	b.ResetTimer()
	for _, qq := range queries {
		var took []time.Duration
		for i := 0; i < runs; i++ {
			t0 := time.Now()
			if err := qq.run(); err != nil {
				b.Fatal(err)
			}
			took = append(took, time.Since(t0))
		}
		sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
		b.ReportMetric(float64(took[(runs-1)/2].Microseconds())/1000, qq.name+"-p50-ms")
		b.ReportMetric(float64(took[runs*99/100-1].Microseconds())/1000, qq.name+"-p99-ms")
	}
}
