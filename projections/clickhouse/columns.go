package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// part is one column of an insert being built, as a slice of Go values.
type part interface {
	// rows returns rows [from, to) as the slice the driver appends.
	rows(from, to int) any
	len() int
	// pick returns the rows at the indexes, as a new part.
	pick(idx []int) part
}

// col is a column of T.
type col[T any] []T

func (c *col[T]) add(v T)               { *c = append(*c, v) }
func (c *col[T]) grow(n int)            { *c = slices.Grow(*c, n) }
func (c *col[T]) rows(from, to int) any { return []T((*c)[from:to]) }
func (c *col[T]) len() int              { return len(*c) }
func (c *col[T]) pick(idx []int) part {
	out := make(col[T], len(idx))
	for i, j := range idx {
		out[i] = (*c)[j]
	}
	return &out
}
func (c *col[T]) repeat(v T, n int) *col[T] { // fill up to n rows with v
	if n > len(*c) {
		c.grow(n - len(*c))
	}
	for len(*c) < n {
		*c = append(*c, v)
	}
	return c
}

// insert is the rows of one table that one commit writes, column by column.
type insert struct {
	table   string
	columns []string
	parts   []part
}

// pick returns an insert of the rows at the indexes into another table.
func (in *insert) pick(table string, idx []int) *insert {
	parts := make([]part, len(in.parts))
	for i, p := range in.parts {
		parts[i] = p.pick(idx)
	}
	return &insert{table: table, columns: in.columns, parts: parts}
}

func (in *insert) len() int {
	if len(in.parts) == 0 {
		return 0
	}
	return in.parts[0].len()
}

// insertBlockRows is how many rows an INSERT sends in one block. The
// driver copies the rows into a block's buffers, which it grows row by row
// and keeps for the next block: one block of all the rows allocated about
// five times their size. The server squashes an insert's blocks into one
// part (min_insert_block_size_rows).
var insertBlockRows = 8192 // a variable for TestSplitInserts

// send inserts the rows, MaxInsertRows at a time, through the native
// protocol's batch insert. The query id of a commit's insert (batch > 0)
// names the store and the batch, so a later commit can find one still
// running (see waitInserts).
func (s *Store) send(ctx context.Context, in *insert, batch uint64) error {
	n := in.len()
	for i, p := range in.parts {
		if p.len() != n {
			return fmt.Errorf("insert into %s: column %s has %d rows, want %d", in.table, in.columns[i], p.len(), n)
		}
	}
	query := "INSERT INTO " + s.t(in.table) + " (" + strings.Join(in.columns, ", ") + ")"
	for from := 0; from < n; from += s.cfg.MaxInsertRows {
		to := min(from+s.cfg.MaxInsertRows, n)
		qctx := ctx
		if batch > 0 {
			if s.insertHook != nil {
				if err := s.insertHook(ctx, in.table, false); err != nil {
					return err
				}
			}
			id := fmt.Sprintf("%s%d:%s:%s", s.queryIDPrefix(), batch, in.table, randomID())
			qctx = clickhouse.Context(ctx, clickhouse.WithQueryID(id))
		}
		b, err := s.conn.PrepareBatch(qctx, query)
		if err != nil {
			return fmt.Errorf("insert into %s: %w", in.table, err)
		}
		for block := from; block < to; block += insertBlockRows {
			if block > from {
				// Unlike Send, the driver's Flush does not watch the
				// context: a cancelled commit stops between blocks.
				if err := qctx.Err(); err != nil {
					b.Abort()
					return fmt.Errorf("insert into %s: %w", in.table, err)
				}
				if err := b.Flush(); err != nil {
					b.Abort()
					return fmt.Errorf("insert %d rows into %s: %w", block-from, in.table, err)
				}
			}
			for i, p := range in.parts {
				if err := b.Column(i).Append(p.rows(block, min(block+insertBlockRows, to))); err != nil {
					b.Abort()
					return fmt.Errorf("insert into %s, column %s: %w", in.table, in.columns[i], err)
				}
			}
		}
		if err := b.Send(); err != nil {
			return fmt.Errorf("insert %d rows into %s: %w", to-from, in.table, err)
		}
		if batch > 0 && s.insertHook != nil {
			if err := s.insertHook(ctx, in.table, true); err != nil {
				return err
			}
		}
	}
	return nil
}
