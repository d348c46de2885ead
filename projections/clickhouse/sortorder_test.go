package clickhouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// sortCheckingStore checks, before each commit, that the rows of the
// per-line tables are sent in their table's sort key order (which spares
// the server its sort; see lineOrder).
type sortCheckingStore struct {
	*clickhouse.Store
	t       *testing.T
	keys    map[string][]string // table → sorting key columns, from the server
	checked map[string]int      // table → rows checked
}

// sortedTables are the tables whose inserts must arrive sorted: those of a
// row or more per line.
var sortedTables = []string{"lines", "shares", "entries", "livestream_entries", "refund_entries", "retracted_entries", "order_counts"}

func (s *sortCheckingStore) Commit(ctx context.Context, b *projections.Batch) error {
	if err := s.check(ctx, b); err != nil {
		return err
	}
	return s.Store.Commit(ctx, b)
}

// check reports the rows of the batch that are out of order (the commit
// runs on the projector's goroutine: no Fatal there).
func (s *sortCheckingStore) check(ctx context.Context, b *projections.Batch) error {
	names, values, err := clickhouse.CommitColumns(ctx, s.Store, b)
	if err != nil {
		return err
	}
	for _, table := range sortedTables {
		key := s.keys[table]
		if len(key) == 0 {
			return fmt.Errorf("no sorting key for %s", table)
		}
		var cols []any
		for _, k := range key {
			i := index(names[table], k)
			if i < 0 {
				return fmt.Errorf("%s: key column %s is not inserted (columns %v)", table, k, names[table])
			}
			cols = append(cols, values[table][i])
		}
		n := length(cols[0])
		for r := 1; r < n; r++ {
			if c := clickhouse.CompareKeys(cols, r-1, r); c > 0 {
				s.t.Errorf("%s: row %d (%s) sorts after row %d (%s) by (%s)", table, r-1, rowString(cols, r-1), r, rowString(cols, r), strings.Join(key, ", "))
				break
			}
		}
		s.checked[table] += n
	}
	return nil
}

func index(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

func length(col any) int {
	switch c := col.(type) {
	case []string:
		return len(c)
	case []int64:
		return len(c)
	case []uint64:
		return len(c)
	}
	panic(fmt.Sprintf("column of %T", col))
}

func rowString(cols []any, r int) string {
	var parts []string
	for _, col := range cols {
		switch v := col.(type) {
		case []string:
			parts = append(parts, v[r])
		case []int64:
			parts = append(parts, fmt.Sprint(v[r]))
		case []uint64:
			parts = append(parts, fmt.Sprint(v[r]))
		}
	}
	return strings.Join(parts, ", ")
}

// TestInsertsInSortKeyOrder projects a generated data set (shuffled, a
// tenth delivered twice, refunds and cancellations in later batches than
// their sales) in the store's batches, and checks that every commit sends
// the rows of the per-line tables sorted by the sorting key the server
// reports for each table, and that the figures are still the reference's;
// and the rows of a batch made by hand (entries retracted and added again,
// which generated data rarely has; TestBatchRowsInKeyOrder builds many
// more batches without a server).
func TestInsertsInSortKeyOrder(t *testing.T) {
	s, cfg := openStore(t)
	conn := adminConn(t, cfg.DSN)
	rows, err := conn.Query(context.Background(), "SELECT name, sorting_key FROM system.tables WHERE database = ?", cfg.Database)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	for rows.Next() {
		var name, key string
		if err := rows.Scan(&name, &key); err != nil {
			t.Fatal(err)
		}
		keys[name] = strings.Split(key, ", ")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	checking := &sortCheckingStore{Store: s, t: t, keys: keys, checked: map[string]int{}}
	ds := storetest.Generate(71, 20000)
	ds.Pipeline = true
	ds.Project(t, checking, 0)
	storetest.CheckReference(t, &projections.Queries{Store: s}, ds.Want)
	if err := checking.check(context.Background(), clickhouse.HandMadeBatch()); err != nil {
		t.Fatal(err)
	}
	for _, table := range sortedTables {
		if checking.checked[table] < 5 {
			t.Errorf("%s: only %d rows checked", table, checking.checked[table])
		}
	}
	t.Logf("rows checked: %v", checking.checked)
}
