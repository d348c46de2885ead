package bench_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/bench"
)

// TestRunReads runs `loquat bench reads` small: a data set imported,
// projected (RunReads checks the read model's order and refund counts
// against the data set's), every endpoint answered 200 and timed, a
// rebuild replaying every event — and with a ClickHouse server, the same
// there.
func TestRunReads(t *testing.T) {
	o := bench.ReadsOptions{Orders: 3000, Days: 45, Runs: 1, Requests: 2,
		Now:           func() time.Time { return time.Date(2026, 3, 10, 12, 0, 0, 0, domain.ChinaTime) },
		ClickHouseDSN: os.Getenv("LOQUAT_TEST_CLICKHOUSE_DSN")}
	r, err := bench.RunReads(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if r.First != "2026-01-24" || r.Last != "2026-03-09" {
		t.Errorf("data set %s..%s, want 2026-01-24..2026-03-09 (45 days ending yesterday)", r.First, r.Last)
	}
	want := 1
	if o.ClickHouseDSN != "" {
		want = 2
	}
	if len(r.Stores) != want {
		t.Fatalf("%d stores measured, want %d", len(r.Stores), want)
	}
	for _, s := range r.Stores {
		if s.Events < o.Orders || s.Events > o.Orders*110/100 {
			t.Errorf("%s: %d events imported for %d orders (3%% refunded)", s.Store, s.Events, o.Orders)
		}
		if s.RebuildEvents < s.Events {
			t.Errorf("%s: the rebuild replayed %d events, fewer than the %d imported", s.Store, s.RebuildEvents, s.Events)
		}
		if s.ImportRate <= 0 || s.RebuildRate <= 0 || s.PeakRSS < s.RSS/2 || s.RSS <= 0 || s.AnswerPeakRSS < s.RSS || s.AnswerPeakRSS > s.PeakRSS {
			t.Errorf("%s: rates %.0f, %.0f events/s, resident %d peak %d answering %d bytes", s.Store, s.ImportRate, s.RebuildRate, s.RSS, s.PeakRSS, s.AnswerPeakRSS)
		}
		if (s.Store == "sqlite") != (s.ReadModelBytes > 0) {
			t.Errorf("%s: read model file %d bytes", s.Store, s.ReadModelBytes)
		}
		if len(s.Endpoints) < 14 {
			t.Errorf("%s: %d endpoints timed", s.Store, len(s.Endpoints))
		}
		for _, e := range s.Endpoints {
			if e.P50 <= 0 || e.P99 < e.P50 || e.Max < e.P99 {
				t.Errorf("%s %s: p50 %v p99 %v max %v", s.Store, e.Name, e.P50, e.P99, e.Max)
			}
		}
	}
}
