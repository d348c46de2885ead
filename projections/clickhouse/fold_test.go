package clickhouse_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// rollupState reads the generations (partitions) of sales_rollup and its rows.
func rollupState(t *testing.T, cfg clickhouse.Config) (generations []string, rows uint64) {
	t.Helper()
	conn := adminConn(t, cfg.DSN)
	ctx := context.Background()
	q, err := conn.Query(ctx, fmt.Sprintf(`SELECT partition, sum(rows) FROM system.parts
		WHERE database = '%s' AND table = 'sales_rollup' AND active GROUP BY partition ORDER BY partition`, cfg.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for q.Next() {
		var p string
		var n uint64
		if err := q.Scan(&p, &n); err != nil {
			t.Fatal(err)
		}
		generations = append(generations, p)
		rows += n
	}
	return generations, rows
}

// TestFold projects a data set in small batches with a tiny FoldMinRows, so
// the daily rollup is folded again and again while a reader of another
// store reads it: no read counts a fold's rows beside the rows they fold,
// the end is exact, and the old generations are gone.
func TestFold(t *testing.T) {
	dsn := testDSN(t)
	cfg := clickhouse.Config{DSN: dsn, Database: testDatabase(t, dsn), FoldMinRows: 300}
	s := mustOpen(t, cfg)
	defer s.Close()
	reader := mustOpen(t, cfg)
	defer reader.Close()

	ds := storetest.Generate(31, 2000)
	ds.Pipeline = true
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var readErr error
	var last domain.Fen
	reads := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		q := &projections.Queries{Store: reader, Now: now}
		for {
			select {
			case <-stop:
				return
			default:
			}
			// A reader sees one generation at a time: had it seen a fold's
			// rows beside the rows they fold, GMV would pass the final one.
			ov, err := q.Overview(context.Background(), projections.Period{})
			if err != nil {
				readErr = err
				return
			}
			if ov.GMVFen > ds.Want.GMV || ov.GMVFen < last {
				readErr = fmt.Errorf("GMV read during folds %d fen, after %d, final %d", ov.GMVFen, last, ds.Want.GMV)
				return
			}
			last = ov.GMVFen
			reads++
		}
	}()
	ds.Project(t, s, 60)
	close(stop)
	wg.Wait()
	if readErr != nil {
		t.Fatal(readErr)
	}
	storetest.CheckReference(t, &projections.Queries{Store: reader, Now: now}, ds.Want)
	storetest.CheckSumIdentity(t, &projections.Queries{Store: reader, Now: now}, projections.Period{})

	gens, rows := rollupState(t, cfg)
	if len(gens) < 1 || len(gens) > 3 {
		t.Errorf("sales_rollup has generations %v; want the current one and at most two before it", gens)
	}
	if gens[len(gens)-1] == "0" {
		t.Errorf("sales_rollup was never folded (generations %v)", gens)
	}
	if n := uncommittedRows(t, cfg); n != 0 {
		t.Errorf("%d rows of uncommitted batches left", n)
	}
	t.Logf("%d reads during the projection; sales_rollup: generations %v, %d rows", reads, gens, rows)
}

// TestInterruptedFold fails a fold before or after its INSERT … SELECT was
// sent, and then either goes on (the next commit cleans up and a later one
// folds again) or crashes (a new store cleans up): readers never see the
// half-made generation (their figures end exact), and no row of it is left.
func TestInterruptedFold(t *testing.T) {
	cases := []struct {
		name  string
		sent  bool
		crash bool
	}{
		{"BeforeSent", false, false},
		{"AfterSent", true, false},
		{"AfterSentThenCrash", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dsn := testDSN(t)
			cfg := clickhouse.Config{DSN: dsn, Database: testDatabase(t, dsn), FoldMinRows: 400}
			s := mustOpen(t, cfg)
			defer s.Close()
			reader := mustOpen(t, cfg)
			defer reader.Close()
			ds := storetest.Generate(33, 1500)

			failed := make(chan struct{}, 1)
			var once sync.Once
			clickhouse.SetInsertHook(s, func(ctx context.Context, table string, sent bool) error {
				if table != "fold" || sent != c.sent {
					return nil
				}
				fail := false
				once.Do(func() {
					failed <- struct{}{}
					fail = true
				})
				if fail {
					return errInjected
				}
				return nil
			})
			r := startRunner(t, s, ds.Feed, projections.ProjectorConfig{MaxBatch: 50, RetryBackoff: 20 * time.Millisecond, Pipeline: projections.PipelineOn})
			select {
			case <-failed:
			case <-time.After(time.Minute):
				t.Fatal("no fold happened")
			}
			if c.crash {
				r.stop(t)
				if n := uncommittedRows(t, cfg); n == 0 {
					t.Error("the interrupted fold left no rows: the test did not interrupt it")
				}
				s.Close()
				s = mustOpen(t, cfg)
				ds.Project(t, s, 50)
			} else {
				r.finish(t, 2*time.Minute)
			}
			storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
			storetest.CheckReference(t, &projections.Queries{Store: reader, Now: now}, ds.Want)
			if n := uncommittedRows(t, cfg); n != 0 {
				t.Errorf("%d rows of uncommitted batches left", n)
			}
			if gens, _ := rollupState(t, cfg); gens[len(gens)-1] == "0" {
				t.Errorf("no fold completed after the interrupted one (generations %v)", gens)
			}
		})
	}
}
