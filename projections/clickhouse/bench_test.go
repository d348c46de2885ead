package clickhouse_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// BenchmarkWriteRate projects a generated data set into a new store (the
// real projector, batches of 5000 events) and then inserts the same ledger
// rows with plain clickhouse-go batch inserts, in as many inserts as the
// projector made commits, and in inserts of 100000 rows. It reports the
// projector's events/s and ledger rows/s, the raw insert's rows/s and the
// ratios. Run with -benchtime=1x; LOQUAT_BENCH_ORDERS sets the size.
func BenchmarkWriteRate(b *testing.B) {
	dsn := testDSN(b)
	orders := 20000
	if n, err := fmt.Sscan(getenv("LOQUAT_BENCH_ORDERS", "20000"), &orders); n != 1 || err != nil {
		b.Fatalf("LOQUAT_BENCH_ORDERS: %v", err)
	}
	ds := storetest.Generate(71, orders)
	ctx := context.Background()
	var projected, rawSame, rawBig time.Duration
	var ledgerRows, commits, events int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := testDatabase(b, dsn)
		s := mustOpen(b, clickhouse.Config{DSN: dsn, Database: db})
		b.StartTimer()
		start := time.Now()
		ds.Project(b, s, 5000)
		projected += time.Since(start)
		b.StopTimer()
		s.Close()
		events += len(ds.Events)

		conn := adminConn(b, dsn)
		var n, c uint64
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".ledger").Scan(&n); err != nil {
			b.Fatal(err)
		}
		if err := conn.QueryRow(ctx, "SELECT count() FROM "+db+".checkpoints").Scan(&c); err != nil {
			b.Fatal(err)
		}
		ledgerRows += int(n)
		commits += int(c)
		type row struct {
			platform, order, line, entry, kind, party string
			amount                                    int64
			sign                                      int8
			batch                                     uint64
		}
		rows := make([]row, 0, n)
		q, err := conn.Query(ctx, "SELECT platform, order_id, line_id, entry_id, party_kind, party_id, amount_fen, sign, batch FROM "+db+".ledger")
		if err != nil {
			b.Fatal(err)
		}
		for q.Next() {
			var r row
			if err := q.Scan(&r.platform, &r.order, &r.line, &r.entry, &r.kind, &r.party, &r.amount, &r.sign, &r.batch); err != nil {
				b.Fatal(err)
			}
			rows = append(rows, r)
		}
		q.Close()
		for _, t := range []string{"raw_same", "raw_big"} {
			if err := conn.Exec(ctx, "CREATE TABLE "+db+"."+t+" AS "+db+".ledger"); err != nil {
				b.Fatal(err)
			}
		}
		insert := func(table string, chunk int) time.Duration {
			start := time.Now()
			for from := 0; from < len(rows); from += chunk {
				batch, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+table+" (platform, order_id, line_id, entry_id, party_kind, party_id, amount_fen, sign, batch)")
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range rows[from:min(from+chunk, len(rows))] {
					if err := batch.Append(r.platform, r.order, r.line, r.entry, r.kind, r.party, r.amount, r.sign, r.batch); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Send(); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(start)
		}
		rawSame += insert("raw_same", max(1, len(rows)/int(c)))
		rawBig += insert("raw_big", 100000)
		b.StartTimer()
	}
	b.StopTimer()
	perSec := func(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }
	b.ReportMetric(perSec(events, projected), "events/s")
	b.ReportMetric(perSec(ledgerRows, projected), "ledger_rows/s")
	b.ReportMetric(perSec(ledgerRows, rawSame), "raw_rows/s_same_inserts")
	b.ReportMetric(perSec(ledgerRows, rawBig), "raw_rows/s_100k_inserts")
	b.ReportMetric(rawSame.Seconds()/projected.Seconds(), "ratio_same")
	b.ReportMetric(rawBig.Seconds()/projected.Seconds(), "ratio_100k")
	b.Logf("%d events, %d ledger rows, %d commits: projector %v; raw insert of its ledger rows %v (%d inserts), %v (100k rows each)",
		events/b.N, ledgerRows/b.N, commits/b.N, projected/time.Duration(b.N), rawSame/time.Duration(b.N), commits/b.N, rawBig/time.Duration(b.N))
}
