package clickhouse_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// recordingStore is the store with a record of the line changes its
// projector committed, whose ledger rows (adds and retractions) the
// yardstick inserts. It keeps the batches' own slices (ledger rows are never
// modified once made): copying the rows inside the timed commit would
// charge the projector for the yardstick's bookkeeping.
type recordingStore struct {
	*clickhouse.Store
	mu      sync.Mutex
	batches [][]projections.LineChange
}

type signedRow struct {
	projections.LedgerRow
	sign int8
}

func (s *recordingStore) Commit(ctx context.Context, b *projections.Batch) error {
	if err := s.Store.Commit(ctx, b); err != nil {
		return err
	}
	s.mu.Lock()
	s.batches = append(s.batches, b.Lines)
	s.mu.Unlock()
	return nil
}

// rows are the ledger rows of each committed batch, signed.
func (s *recordingStore) rows() [][]signedRow {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]signedRow, len(s.batches))
	for i, lines := range s.batches {
		for _, c := range lines {
			for _, r := range c.Retract {
				out[i] = append(out[i], signedRow{r, -1})
			}
			for _, r := range c.Add {
				out[i] = append(out[i], signedRow{r, 1})
			}
		}
	}
	return out
}

// processCPU is the CPU time this process has used, user and system: the
// projector's own work, apart from the server's.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// waitMerges waits until the server merges no parts (at most ten seconds),
// so that neither side of the comparison is timed while the server still
// merges the other's inserts.
func waitMerges(b *testing.B, conn driver.Conn) {
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(20 * time.Millisecond) {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM system.merges").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	b.Log("the server still merges after 10 s: the next timing includes merges")
}

// rawLedger is the yardstick's table: the attributed ledger as one
// self-contained row per party per entry, with every attribute the
// projector gives the row, in a plain MergeTree.
const rawLedger = `CREATE TABLE %s (
	entry_id String, kind String, at Int64, day String, minute String,
	platform String, order_id String, line_id String, sku_id String, product String,
	enterprise_id String, village_id String, livestream_id String, anchor_name String, buyer_ref String,
	party_kind String, party_id String, amount_fen Int64, sign Int8, batch UInt64
) ENGINE = MergeTree ORDER BY (platform, order_id, line_id, entry_id, party_kind, party_id)`

// BenchmarkWriteRate projects a generated data set into a new store (the
// real projector, in the batches the store asks for unless
// LOQUAT_BENCH_MAX_BATCH says otherwise, messages encoded and the store
// opened for writes beforehand),
// then inserts the ledger rows the projector committed — one row per party
// per entry with all 17 of its attributes, in the order of the batches'
// line changes (a line's retracted rows, then its added ones; not the
// order the store sends its own tables in) — with plain clickhouse-go
// batch inserts into a plain MergeTree table: once in as many inserts as
// the projector made commits, once in inserts of 100000 rows, and once
// sorted by the table's key and then inserted 100000 rows at a time, the
// sort timed with the inserts (a raw insert that, like the store, spares
// the server its sort). Ratio = raw insert time ÷ projector time. Run with
// -benchtime=1x; LOQUAT_BENCH_ORDERS sets the size (default 20000 orders).
//
// Each process first does one whole run untimed, on a data set of the same
// size (another seed): the first run of a process — the heap growing into
// fresh memory, the connection pool opening, the JSON codecs compiled —
// was a third slower on both sides than the runs after it, and measured
// the process's start rather than the write path. Each timed part starts
// after a collection (runtime.GC), so that none collects the garbage of
// the part before it.
func BenchmarkWriteRate(b *testing.B) {
	dsn := testDSN(b)
	orders := 20000
	if n, err := fmt.Sscan(getenv("LOQUAT_BENCH_ORDERS", "20000"), &orders); n != 1 || err != nil {
		b.Fatalf("LOQUAT_BENCH_ORDERS: %v", err)
	}
	var maxBatch int // LOQUAT_BENCH_MAX_BATCH: the projector's MaxBatch (default: the store's)
	if n, err := fmt.Sscan(getenv("LOQUAT_BENCH_MAX_BATCH", "0"), &maxBatch); n != 1 || err != nil {
		b.Fatalf("LOQUAT_BENCH_MAX_BATCH: %v", err)
	}
	admin := adminConn(b, dsn)
	writeRateWarmUp.Do(func() {
		b.StopTimer()
		writeRateRun(b, dsn, admin, storetest.Generate(72, orders), maxBatch)
		b.StartTimer()
	})
	ds := storetest.Generate(71, orders)
	var sum writeRateResult
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		r := writeRateRun(b, dsn, admin, ds, maxBatch)
		b.StartTimer()
		sum.add(r)
	}
	b.StopTimer()
	perSec := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.ReportMetric(perSec(sum.events, sum.projected), "events/s")
	b.ReportMetric(perSec(sum.ledgerRows, sum.projected), "ledger_rows/s")
	b.ReportMetric(float64(sum.projectorCPU.Microseconds())/float64(sum.events), "cpu_µs/event")
	b.ReportMetric(perSec(sum.ledgerRows, sum.rawSame), "raw_rows/s_same_inserts")
	b.ReportMetric(perSec(sum.ledgerRows, sum.rawBig), "raw_rows/s_100k_inserts")
	b.ReportMetric(perSec(sum.ledgerRows, sum.rawSorted), "raw_rows/s_100k_sorted")
	b.ReportMetric(sum.rawSame.Seconds()/sum.projected.Seconds(), "ratio_same")
	b.ReportMetric(sum.rawBig.Seconds()/sum.projected.Seconds(), "ratio_100k")
	b.ReportMetric(sum.rawSorted.Seconds()/sum.projected.Seconds(), "ratio_100k_sorted")
	n := time.Duration(b.N)
	b.Logf("%d events, %d ledger rows, %d commits: projector %v (%v CPU in this process); raw insert of its ledger rows %v (%d inserts), %v (100k rows each), %v (sorted, then 100k rows each)",
		sum.events/b.N, sum.ledgerRows/b.N, sum.commits/b.N, sum.projected/n, (sum.projectorCPU / n).Round(time.Millisecond),
		sum.rawSame/n, sum.commits/b.N, sum.rawBig/n, sum.rawSorted/n)
}

// writeRateWarmUp is BenchmarkWriteRate's untimed first run in a process.
var writeRateWarmUp sync.Once

// writeRateResult is what one run of BenchmarkWriteRate measured.
type writeRateResult struct {
	projected, projectorCPU, rawSame, rawBig, rawSorted time.Duration
	ledgerRows, commits, events                         int
}

func (r *writeRateResult) add(o writeRateResult) {
	r.projected += o.projected
	r.projectorCPU += o.projectorCPU
	r.rawSame += o.rawSame
	r.rawBig += o.rawBig
	r.rawSorted += o.rawSorted
	r.ledgerRows += o.ledgerRows
	r.commits += o.commits
	r.events += o.events
}

// writeRateRun projects ds into a new store and inserts the committed
// ledger rows raw, timing each (see BenchmarkWriteRate).
func writeRateRun(b *testing.B, dsn string, admin driver.Conn, ds storetest.Dataset, maxBatch int) writeRateResult {
	ctx := context.Background()
	var out writeRateResult
	db := testDatabase(b, dsn)
	s := &recordingStore{Store: mustOpen(b, clickhouse.Config{DSN: dsn, Database: db})}
	ds.Pipeline = true
	feed := ds.Feed.Encode(b)
	// Opening for writes (reading the checkpoint, removing what an
	// unfinished commit left: a query per table) is a start-up cost,
	// paid once per process, like the yardstick's CREATE TABLE: not
	// timed.
	if err := s.PrepareWrites(ctx); err != nil {
		b.Fatal(err)
	}
	waitMerges(b, admin)
	runtime.GC() // the garbage of what ran before is not collected in the timed part
	start, cpu0 := time.Now(), processCPU(b)
	feed.Project(b, s, maxBatch) // 0: batches as the store prefers
	out.projected = time.Since(start)
	out.projectorCPU = processCPU(b) - cpu0
	s.Close()
	out.events = len(ds.Events)

	conn := adminConn(b, dsn)
	batches := s.rows()
	for _, batch := range batches {
		out.ledgerRows += len(batch)
	}
	out.commits = len(batches)
	var all []signedRow
	for _, batch := range batches {
		all = append(all, batch...)
	}
	for _, t := range []string{"raw_same", "raw_big", "raw_sorted"} {
		if err := conn.Exec(ctx, fmt.Sprintf(rawLedger, db+"."+t)); err != nil {
			b.Fatal(err)
		}
	}
	insert := func(table string, chunks [][]signedRow) time.Duration {
		waitMerges(b, admin)
		runtime.GC()
		start := time.Now()
		for n, chunk := range chunks {
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+table)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range chunk {
				if err := batch.Append(r.EntryID, string(r.Kind), r.At.Unix(), domain.Day(r.At), domain.Minute(r.At),
					r.Platform, r.OrderID, r.LineID, r.SKUID, r.Product,
					r.EnterpriseID, r.VillageID, r.LivestreamID, r.AnchorName, r.BuyerRef,
					string(r.PartyKind), r.PartyID, int64(r.AmountFen), r.sign, uint64(n+1)); err != nil {
					b.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	chunked := func(rows []signedRow) [][]signedRow {
		var out [][]signedRow
		for from := 0; from < len(rows); from += 100000 {
			out = append(out, rows[from:min(from+100000, len(rows))])
		}
		return out
	}
	out.rawSame = insert("raw_same", batches)
	out.rawBig = insert("raw_big", chunked(all))
	waitMerges(b, admin)
	runtime.GC()
	start = time.Now()
	// The rows are large: sort their indexes, comparing no more fields than
	// it takes, then copy them once.
	idx := make([]int32, len(all))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortStableFunc(idx, func(i, j int32) int {
		x, y := &all[i], &all[j]
		if c := strings.Compare(x.Platform, y.Platform); c != 0 {
			return c
		}
		if c := strings.Compare(x.OrderID, y.OrderID); c != 0 {
			return c
		}
		if c := strings.Compare(x.LineID, y.LineID); c != 0 {
			return c
		}
		if c := strings.Compare(x.EntryID, y.EntryID); c != 0 {
			return c
		}
		if c := strings.Compare(string(x.PartyKind), string(y.PartyKind)); c != 0 {
			return c
		}
		return strings.Compare(x.PartyID, y.PartyID)
	})
	sorted := make([]signedRow, len(all))
	for i, j := range idx {
		sorted[i] = all[j]
	}
	out.rawSorted = time.Since(start) + insert("raw_sorted", chunked(sorted))
	return out
}
