package clickhouse_test

import (
	"testing"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestLineCache projects half a generated data set, restarts (a new store
// on the same tables, whose line cache starts from what is committed), and
// projects all of it, with the cache off, too small to hold every line (it
// drops orders and asks ClickHouse for them) and at its default size (it
// reads every committed line on start): the figures are the reference's.
func TestLineCache(t *testing.T) {
	dsn := testDSN(t)
	tests := []struct {
		name  string
		lines int
	}{
		{"off", -1},
		{"smaller than the data", 60},
		{"default", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := clickhouse.Config{DSN: dsn, Database: testDatabase(t, dsn), LineCacheLines: tt.lines}
			ds := storetest.Generate(5, 1200)
			ds.Pipeline = true
			first := ds.Feed
			first.Events = first.Events[:len(first.Events)/2]
			s := mustOpen(t, cfg)
			first.Project(t, s, 25)
			s.Close()

			s = mustOpen(t, cfg)
			defer s.Close()
			ds.Project(t, s, 25)
			storetest.CheckReference(t, &projections.Queries{Store: s}, ds.Want)
		})
	}
}
