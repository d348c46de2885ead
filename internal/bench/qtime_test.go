package bench_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
)

type timedStore struct {
	projections.Store
	mu sync.Mutex
	d  map[string]time.Duration
	n  map[string]int
}

func (s *timedStore) rec(name string, t0 time.Time) {
	s.mu.Lock()
	s.d[name] += time.Since(t0)
	s.n[name]++
	s.mu.Unlock()
}
func (s *timedStore) Registry(ctx context.Context) (*domain.Registry, error) {
	defer s.rec("Registry", time.Now())
	return s.Store.Registry(ctx)
}
func (s *timedStore) Sales(ctx context.Context, q projections.SalesQuery) ([]projections.SalesRow, error) {
	defer s.rec(fmt.Sprintf("Sales %v", q.GroupBy), time.Now())
	return s.Store.Sales(ctx, q)
}
func (s *timedStore) Orders(ctx context.Context, q projections.SalesQuery) ([]projections.OrderRow, error) {
	defer s.rec(fmt.Sprintf("Orders %v r%v b%v", q.GroupBy, q.WithRefunded, q.WithBuyers), time.Now())
	return s.Store.Orders(ctx, q)
}
func (s *timedStore) Income(ctx context.Context, p projections.Period) (map[string]domain.Fen, error) {
	defer s.rec("Income", time.Now())
	return s.Store.Income(ctx, p)
}
func (s *timedStore) LivestreamMinutes(ctx context.Context, id string) ([]projections.MinuteRow, error) {
	defer s.rec("Minutes", time.Now())
	return s.Store.LivestreamMinutes(ctx, id)
}
func (s *timedStore) Livestreams(ctx context.Context) ([]projections.LivestreamInfo, error) {
	defer s.rec("Livestreams", time.Now())
	return s.Store.Livestreams(ctx)
}

func TestQueryBreakdown(t *testing.T) {
	db := os.Getenv("LOQUAT_BENCH_CLICKHOUSE_DATABASE")
	if db == "" {
		t.Skip()
	}
	dsn := os.Getenv("LOQUAT_TEST_CLICKHOUSE_DSN")
	dsn = dsn[:strings.LastIndex(dsn, "/")+1] + db
	ctx := context.Background()
	cs, err := clickhouse.Open(ctx, clickhouse.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2021, 3, 1, 0, 0, 0, 0, domain.ChinaTime)
	for _, name := range []string{"overview", "household", "enterprise", "livestream"} {
		ts := &timedStore{Store: cs, d: map[string]time.Duration{}, n: map[string]int{}}
		q := &projections.Queries{Store: ts, Now: func() time.Time { return start.AddDate(0, 2, 0) }}
		t0 := time.Now()
		for i := 0; i < 20; i++ {
			switch name {
			case "overview":
				_, err = q.Overview(ctx, projections.Period{})
			case "household":
				_, err = q.Household(ctx, "H-001", projections.Period{})
			case "enterprise":
				_, err = q.Enterprise(ctx, "E-QINGXI", projections.Period{})
			case "livestream":
				_, err = q.Livestream(ctx, "douyin:3")
			}
			if err != nil {
				t.Log(err)
			}
		}
		total := time.Since(t0) / 20
		var keys []string
		for k := range ts.d {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Logf("== %s: %v per call", name, total)
		for _, k := range keys {
			t.Logf("   %-50s %v x%d", k, ts.d[k]/20, ts.n[k]/20)
		}
	}
}
