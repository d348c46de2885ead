package clickhouse

import (
	"context"

	"github.com/loquat-dev/loquat/projections"
)

// SetInsertHook makes f run before (sent false) and after (sent true) each
// insert of a commit; table is the table's logical name, and an error from
// f fails the insert (after it was sent: a lost answer).
func SetInsertHook(s *Store, f func(ctx context.Context, table string, sent bool) error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.insertHook = f
}

// AppliedMigrations returns the migrations the store's Open applied.
func AppliedMigrations(s *Store) []int { return s.applied }

// Tables lists the logical names of a read model's tables.
func Tables() []string { return append([]string(nil), tables...) }

// QueryIDPrefix is the start of the query id of the store's commit inserts.
func QueryIDPrefix(s *Store) string { return s.queryIDPrefix() }

// SetMaxListedRetractions sets how many retracted keys a query lists before
// it reads them with a subquery, and returns a func that restores it.
func SetMaxListedRetractions(n int) (restore func()) {
	old := maxListedRetractions
	maxListedRetractions = n
	return func() { maxListedRetractions = old }
}

// SetInsertBlockRows sets how many rows an insert sends per block, and
// returns a func that restores it (TestSplitInserts).
func SetInsertBlockRows(n int) (restore func()) {
	old := insertBlockRows
	insertBlockRows = n
	return func() { insertBlockRows = old }
}

// CommitColumns returns what Commit would insert for the batch as the
// store's next batch, but the checkpoint: for each table, its columns'
// names and values (a []string, []int64, … each) in the order sent.
func CommitColumns(ctx context.Context, s *Store, b *projections.Batch) (map[string][]string, map[string][]any, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	rows, err := s.batchRows(ctx, b, s.w.committed+1)
	if err != nil {
		return nil, nil, err
	}
	names, values := map[string][]string{}, map[string][]any{}
	for _, in := range rows.inserts {
		names[in.table] = in.columns
		for _, p := range in.parts {
			values[in.table] = append(values[in.table], p.rows(0, p.len()))
		}
	}
	return names, values, nil
}

// HandMadeBatch is a batch with the line changes generated data rarely has
// (see handMadeBatch).
var HandMadeBatch = handMadeBatch

// CompareKeys compares rows a and b of a table's key columns (see compareAt).
var CompareKeys = compareAt
