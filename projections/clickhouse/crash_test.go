package clickhouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

var errInjected = errors.New("injected failure")

// view is what a reader sees of a store: the figures of every list.
func view(t testing.TB, s projections.Reader) string {
	t.Helper()
	v, err := readView(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readView is view for goroutines other than the test's.
func readView(s projections.Reader) (string, error) {
	q := &projections.Queries{Store: s, Now: now}
	ctx := context.Background()
	all := projections.Paging{Limit: 10000}
	ov, err := q.Overview(ctx, projections.Period{})
	if err != nil {
		return "", err
	}
	hh, err := q.Households(ctx, projections.HouseholdQuery{Paging: all})
	if err != nil {
		return "", err
	}
	ee, err := q.Enterprises(ctx, projections.Period{}, all)
	if err != nil {
		return "", err
	}
	ll, err := q.Livestreams(ctx, projections.Period{}, all)
	if err != nil {
		return "", err
	}
	uu, err := q.Unattributed(ctx, projections.Period{}, all)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal([]any{ov, hh, ee, ll, uu})
	return string(b), err
}

// uncommittedRows counts the rows of batches after the committed one in
// every table of the store's database.
func uncommittedRows(t testing.TB, cfg clickhouse.Config) uint64 {
	t.Helper()
	conn := adminConn(t, cfg.DSN)
	var total uint64
	for _, table := range clickhouse.Tables() {
		if table == "schema_migrations" || table == "dead_letters" {
			continue
		}
		var n uint64
		q := fmt.Sprintf("SELECT count() FROM %s.%s WHERE batch > (SELECT max(batch) FROM %s.checkpoints)", cfg.Database, table, cfg.Database)
		if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		total += n
	}
	return total
}

// TestInterruptedCommit fails one insert of a commit: the rows already
// inserted must stay invisible (to another process's store too), and
// after a retry in the same process, or a crash and a new process, the
// figures are exact to the fen.
func TestInterruptedCommit(t *testing.T) {
	cases := []struct {
		name  string
		table string // the insert that fails
		sent  bool   // fails after the insert was sent (a lost answer)
		crash bool   // the process dies instead of retrying
	}{
		{"SharesRetried", "shares", false, false},
		{"SalesRollupThenCrash", "sales_rollup", false, true},
		{"CheckpointRetried", "checkpoints", false, false},
		{"CheckpointThenCrash", "checkpoints", false, true},
		{"CheckpointAnswerLost", "checkpoints", true, false},
		{"CheckpointAnswerLostThenCrash", "checkpoints", true, true},
		{"EntriesAnswerLostThenCrash", "entries", true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, cfg := openStore(t)
			defer s.Close()
			reader := mustOpen(t, cfg) // another process's view
			defer reader.Close()
			ds := storetest.Generate(21, 2000)
			half := ds.Feed
			half.Events = half.Events[:len(half.Events)/2]
			half.Project(t, s, 400)
			before := view(t, reader)

			failed := make(chan string, 1)
			var once sync.Once
			clickhouse.SetInsertHook(s, func(ctx context.Context, table string, sent bool) error {
				if table != c.table || sent != c.sent {
					return nil
				}
				fail := false
				once.Do(func() {
					// The batch's inserts so far are in, its checkpoint is not
					// (or, for a lost answer, is): what do readers see?
					v, err := readView(reader)
					if err != nil {
						v = "error: " + err.Error()
					}
					failed <- v
					fail = true
				})
				if fail {
					return errInjected
				}
				return nil
			})
			// Pipelined, as the store asks for in production; the conformance
			// suite's FailedCommits covers the serial projector.
			r := startRunner(t, s, ds.Feed, projections.ProjectorConfig{MaxBatch: 400, RetryBackoff: 20 * time.Millisecond, Pipeline: projections.PipelineOn})
			var during string
			select {
			case during = <-failed:
			case <-time.After(time.Minute):
				t.Fatal("the injected failure did not happen")
			}
			if c.crash {
				r.stop(t)
				if c.table == "checkpoints" && c.sent {
					// The batch did commit (only its answer was lost).
					if n := uncommittedRows(t, cfg); n != 0 {
						t.Errorf("%d rows of a commit whose checkpoint landed are not visible", n)
					}
				} else {
					if during != before {
						t.Errorf("half-written batch visible to readers:\n during %s\n before %s", during, before)
					}
					if got := view(t, reader); got != before {
						t.Errorf("failed batch visible to readers:\n after %s\n before %s", got, before)
					}
					if n := uncommittedRows(t, cfg); n == 0 {
						t.Error("the interrupted commit left no rows: the test did not interrupt a commit")
					}
				}
				s.Close()
				s = mustOpen(t, cfg) // a new process
				if err := s.PrepareWrites(context.Background()); err != nil {
					t.Fatal(err)
				}
				if n := uncommittedRows(t, cfg); n != 0 {
					t.Errorf("PrepareWrites left %d rows of the interrupted commit", n)
				}
				ds.Project(t, s, 400)
			} else {
				if during != before && !(c.table == "checkpoints" && c.sent) {
					t.Errorf("half-written batch visible to readers:\n during %s\n before %s", during, before)
				}
				r.finish(t, 2*time.Minute)
			}
			storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
			storetest.CheckReference(t, &projections.Queries{Store: reader, Now: now}, ds.Want)
			if n := uncommittedRows(t, cfg); n != 0 {
				t.Errorf("%d rows of uncommitted batches left", n)
			}
			checkSharesMatchRollup(t, s, cfg)
		})
	}
}

// checkSharesMatchRollup holds the committed shares, which no query reads,
// to the rollup the answers come from: each party's net money the same.
// A commit that lost or doubled its shares would differ.
func checkSharesMatchRollup(t *testing.T, s *clickhouse.Store, cfg clickhouse.Config) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Sales(projections.WithReadSnapshot(ctx), projections.SalesQuery{GroupBy: []projections.Dim{projections.DimPartyKind, projections.DimPartyID}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, r := range rows {
		if net := int64(r.SalesFen - r.RefundsFen); net != 0 {
			want[string(r.PartyKind)+"/"+r.PartyID] = net
		}
	}
	db := cfg.Database + "."
	q, err := adminConn(t, cfg.DSN).Query(ctx, "SELECT party_kind, party_id, toInt64(sum(sign * amount_fen)) AS fen FROM "+db+"shares"+
		" WHERE batch <= (SELECT max(batch) FROM "+db+"checkpoints) GROUP BY party_kind, party_id HAVING fen != 0")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	got := map[string]int64{}
	for q.Next() {
		var kind, party string
		var fen int64
		if err := q.Scan(&kind, &party, &fen); err != nil {
			t.Fatal(err)
		}
		got[kind+"/"+party] = fen
	}
	if len(want) < 10 || !reflect.DeepEqual(got, want) {
		t.Errorf("the committed shares' net per party (%d parties) differ from the rollup's (%d parties)", len(got), len(want))
	}
}

// TestRandomCrashes stops the projector at random points of a replay
// (cancelling its context before or during an insert, or after a random
// time), reopens the store and starts a new projector from the store's
// checkpoint over the same feed, again and again; the figures end exact.
func TestRandomCrashes(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	_, cfg := openStore(t)
	ds := storetest.Generate(31, 5000)
	cfgP := projections.ProjectorConfig{MaxBatch: 300, RetryBackoff: 20 * time.Millisecond, Pipeline: projections.PipelineOn} // as in production
	var lastCommitted int64
	crashes := 0
	for round := 0; round < 12; round++ {
		s := mustOpen(t, cfg)
		cp, err := s.Checkpoint(context.Background(), "projector")
		if err != nil {
			t.Fatal(err)
		}
		if cp[0] < lastCommitted {
			t.Fatalf("round %d: checkpoint went back from %d to %d", round, lastCommitted, cp[0])
		}
		lastCommitted = cp[0]
		if round > 0 {
			// An insert whose client was cancelled once its data was sent
			// still lands, a commit's checkpoint included (committing a
			// batch the crashed projector took for failed): wait for them,
			// or the identity's reads could straddle a commit.
			waitQuiet(t, cfg, s)
			storetest.CheckSumIdentity(t, &projections.Queries{Store: s, Now: now}, projections.Period{})
		}
		if lastCommitted == int64(len(ds.Events)) {
			s.Close()
			break
		}
		var crash sync.Once
		crashed := make(chan string, 1)
		var r *runner
		var ready sync.WaitGroup
		ready.Add(1)
		stopAt := 1 + rng.IntN(60)
		mode := rng.IntN(3)
		var inserts atomic.Int64
		clickhouse.SetInsertHook(s, func(ctx context.Context, table string, sent bool) error {
			if mode == 2 || sent != (mode == 1) {
				return nil
			}
			if inserts.Add(1) == int64(stopAt) {
				ready.Wait()
				crash.Do(func() {
					r.cancel() // the insert about to go (mode 0) or the next one (mode 1) fails
					crashed <- fmt.Sprintf("at insert %d into %s (sent %v)", stopAt, table, sent)
				})
			}
			return nil
		})
		r = startRunner(t, s, ds.Feed, cfgP)
		ready.Done()
		if mode == 2 {
			// Well inside a round: on tmpfs a whole replay takes well under a second.
			delay := time.Duration(rng.IntN(150)) * time.Millisecond
			time.AfterFunc(delay, func() {
				crash.Do(func() {
					r.cancel()
					crashed <- fmt.Sprintf("after %v", delay)
				})
			})
		}
		finished := make(chan struct{})
		waitCtx, stopWaiting := context.WithCancel(context.Background())
		go func() {
			if r.p.WaitFor(waitCtx, r.end) == nil {
				close(finished)
			}
		}()
		select {
		case how := <-crashed:
			crashes++
			t.Logf("round %d: crash %s", round, how)
		case <-finished:
			t.Logf("round %d: finished before its crash", round)
		case <-time.After(3 * time.Minute):
			t.Fatalf("round %d: neither crashed nor finished (last commit error: %v)", round, r.p.Healthy())
		}
		stopWaiting()
		r.stop(t)
		s.Close()
	}
	if crashes < 3 {
		t.Errorf("only %d crashes happened", crashes)
	}
	s := mustOpen(t, cfg)
	defer s.Close()
	ds.Project(t, s, 300)
	storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
	if n := uncommittedRows(t, cfg); n != 0 {
		t.Errorf("%d rows of uncommitted batches left", n)
	}
	checkSharesMatchRollup(t, s, cfg)
}

// TestLeftoverInsert leaves an insert of the store's running on the server
// (its client gone quiet in the middle of sending, as a crashed process on
// a half-open connection): the next commit must not go ahead before it ends.
func TestLeftoverInsert(t *testing.T) {
	s, cfg := openStore(t)
	defer s.Close()
	ctx := context.Background()
	if err := s.Commit(ctx, &projections.Batch{Consumer: "projector", Positions: eventlog.Positions{0: 1}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crashed process's insert: started, never finished.
	conn := adminConn(t, cfg.DSN)
	cfg.CleanupTimeout = 2 * time.Second
	s = mustOpen(t, cfg)
	defer s.Close()
	zombie, err := conn.PrepareBatch(ch.Context(ctx, ch.WithQueryID(clickhouse.QueryIDPrefix(s)+"2:checkpoints:zombie")),
		"INSERT INTO "+cfg.Database+".checkpoints (consumer, batch, partitions, offsets, writer, committed_at)")
	if err != nil {
		t.Fatal(err)
	}
	// While it runs (an 18.x server cannot kill it), no commit goes ahead.
	batch := &projections.Batch{Consumer: "projector", Positions: eventlog.Positions{0: 2}}
	err = s.Commit(ctx, batch)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("commit beside a running leftover insert: %v, want it to time out", err)
	}
	t.Log(err)
	// Its client gone, the server ends it; the retried commit goes ahead.
	zombie.Abort()
	if err := s.Commit(ctx, batch); err != nil {
		t.Fatal(err)
	}
	var running uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.processes WHERE query_id LIKE '%zombie'").Scan(&running); err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Error("the leftover insert still runs")
	}
	cp, err := s.Checkpoint(ctx, "projector")
	if err != nil || cp[0] != 2 {
		t.Errorf("checkpoint %v, %v; want 0:2", cp, err)
	}
}

// waitQuiet waits until no insert of the store runs on the server.
func waitQuiet(t testing.TB, cfg clickhouse.Config, s *clickhouse.Store) {
	t.Helper()
	conn := adminConn(t, cfg.DSN)
	prefix := clickhouse.QueryIDPrefix(s)
	for start := time.Now(); time.Since(start) < time.Minute; time.Sleep(10 * time.Millisecond) {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM system.processes WHERE substring(query_id, 1, "+
			fmt.Sprint(len(prefix))+") = '"+prefix+"'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("inserts of a crashed commit still run after a minute")
}
