package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestOrderCountsMatchEntries holds Orders, read from order_counts, to
// distinct orders counted over the live entries, for every grouping the
// counts keep, grouped by it or filtered on it (with and without the day),
// over several periods, after a generated data set projected in small
// batches (payments, refunds and cancellations in later batches).
func TestOrderCountsMatchEntries(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	storetest.Generate(11, 1200).Feed.Project(t, s, 150)

	value := func(col string) string {
		var v string
		if err := s.read.QueryRow(`SELECT ` + col + ` FROM entries WHERE kind = 'sale' AND ` + col + ` <> '' LIMIT 1`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	dim := map[string]projections.Dim{"platform": projections.DimPlatform, "enterprise_id": projections.DimEnterprise,
		"village_id": projections.DimVillage, "livestream_id": projections.DimLivestream}
	var queries []projections.SalesQuery
	for _, p := range []projections.Period{{}, {From: "2021-01-03", To: "2021-01-03"}, {From: "2021-01-02", To: "2021-01-06"}, {From: "2021-01-05"}} {
		for _, g := range orderGroupings {
			for _, byDay := range []bool{false, true} {
				q := projections.SalesQuery{Period: p}
				if byDay {
					q.GroupBy = append(q.GroupBy, projections.DimDay)
				}
				for _, c := range g {
					q.GroupBy = append(q.GroupBy, dim[c])
				}
				queries = append(queries, q)
				if len(g) > 0 { // the first column filtered on as well
					f := q
					setFilter(&f, g[0], value(g[0]))
					queries = append(queries, f)
					if len(g) == 1 { // and filtered on alone
						f.GroupBy = f.GroupBy[:len(f.GroupBy)-1]
						queries = append(queries, f)
					}
				}
			}
		}
	}
	for _, q := range queries {
		cols, err := groupColumns(q.GroupBy)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := orderGroupingOf(q, cols); !ok {
			t.Fatalf("%+v: no grouping of order_counts answers it", q)
		}
		got, err := s.Orders(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		query, args := entriesSQL(q, cols, "sale", distinctOrders)
		want, err := countRows(ctx, s.read, query, args, len(cols))
		if err != nil {
			t.Fatal(err)
		}
		gotCounts := map[string]int64{}
		for _, r := range got {
			if r.Orders == 0 {
				continue
			}
			gotCounts[fmt.Sprint(r.Day, "|", r.Platform, "|", r.EnterpriseID, "|", r.VillageID, "|", r.LivestreamID)] = r.Orders
		}
		if !reflect.DeepEqual(gotCounts, want) {
			t.Errorf("%+v:\n got %v\nwant %v", q, gotCounts, want)
		}
	}
	t.Logf("%d queries compared", len(queries))
}

func setFilter(q *projections.SalesQuery, col, v string) {
	switch col {
	case "platform":
		q.Platform = v
	case "enterprise_id":
		q.EnterpriseID = v
	case "village_id":
		q.VillageID = v
	case "livestream_id":
		q.LivestreamID = v
	}
}

// countRows reads (group columns..., count) rows into counts keyed like
// the test's, the group columns in their OrderRow places.
func countRows(ctx context.Context, db *sql.DB, query string, args []any, ncols int) (map[string]int64, error) {
	out := map[string]int64{}
	err := scanAll(ctx, db, query, func(r *sql.Rows) error {
		cols, _ := r.Columns()
		vals := make([]string, ncols)
		var n int64
		dest := make([]any, 0, ncols+1)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := r.Scan(append(dest, &n)...); err != nil {
			return err
		}
		var row projections.OrderRow
		for i, c := range cols[:ncols] {
			switch c {
			case "day":
				row.Day = vals[i]
			case "platform":
				row.Platform = vals[i]
			case "enterprise_id":
				row.EnterpriseID = vals[i]
			case "village_id":
				row.VillageID = vals[i]
			case "livestream_id":
				row.LivestreamID = vals[i]
			}
		}
		if n != 0 {
			out[fmt.Sprint(row.Day, "|", row.Platform, "|", row.EnterpriseID, "|", row.VillageID, "|", row.LivestreamID)] = n
		}
		return nil
	}, args...)
	return out, err
}
