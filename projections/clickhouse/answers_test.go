package clickhouse_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// now is "today" for both stores' queries.
var now = func() time.Time { return time.Date(2021, 2, 1, 12, 0, 0, 0, domain.ChinaTime) }

// TestSameAnswersAsSQLite projects the same feeds into a SQLite store and a
// ClickHouse store and compares every answer of the API, as JSON.
func TestSameAnswersAsSQLite(t *testing.T) {
	reg, events, err := samples.Events(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	feeds := []struct {
		name     string
		feed     storetest.Feed
		maxBatch int
	}{
		{"Samples", storetest.Feed{Registry: reg, Events: events}, 0},
		{"GeneratedDataSet", storetest.Generate(11, 3000).Feed, 500},
	}
	dls := deadLetters()
	for _, f := range feeds {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			lite, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer lite.Close()
			house, cfg := openStore(t)
			defer house.Close()
			for _, s := range []projections.Store{lite, house} {
				f.feed.Project(t, s, f.maxBatch)
				if err := s.PutDeadLetters(ctx, dls); err != nil {
					t.Fatal(err)
				}
				if err := s.PutDeadLetters(ctx, dls[:1]); err != nil { // again: kept once
					t.Fatal(err)
				}
			}
			start := time.Now()
			want := storetest.Answers(t, &projections.Queries{Store: lite, Now: now})
			mid := time.Now()
			got := storetest.Answers(t, &projections.Queries{Store: house, Now: now})
			t.Logf("answers: sqlite %v, clickhouse %v", mid.Sub(start), time.Since(mid))
			storetest.CompareAnswers(t, want, got, "sqlite", "clickhouse")
			t.Logf("%d answers compared", len(want))
			if len(want) < 50 {
				t.Errorf("only %d answers compared", len(want))
			}

			// Past maxListedRetractions, queries read the retracted keys
			// with a subquery: the same answers.
			var retracted uint64
			if err := adminConn(t, cfg.DSN).QueryRow(ctx, "SELECT count() FROM "+cfg.Database+".retracted_entries").Scan(&retracted); err != nil {
				t.Fatal(err)
			}
			if retracted == 0 {
				return // nothing to list
			}
			restore := clickhouse.SetMaxListedRetractions(0)
			defer restore()
			fresh := mustOpen(t, cfg) // no list read yet
			defer fresh.Close()
			storetest.CompareAnswers(t, want, storetest.Answers(t, &projections.Queries{Store: fresh, Now: now}), "sqlite", "clickhouse rebuilt")
		})
	}
}

func deadLetters() []domain.DeadLetter {
	at := time.Date(2021, 1, 5, 10, 0, 0, 123456789, domain.ChinaTime)
	return []domain.DeadLetter{
		domain.NewDeadLetter("douyin", "bad signature", []byte(`{"tag":"101"}`), at),
		domain.NewDeadLetter("file:orders.csv:3", "amount 'x' is not a number", []byte("a,b,\\c,'d'?\n"), at.Add(time.Second)),
		domain.NewDeadLetter("jd", "binary", []byte{0, 1, 2, 0xff, 0xfe, '\'', '\\'}, at.Add(-time.Hour)),
	}
}
