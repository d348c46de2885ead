package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// batchChunks are the row counts each multi-row statement is prepared for,
// largest first: a commit's rows of a table go 256 to a statement, and the
// rest in as few smaller ones as fit. 256 rows of the widest table (the
// entries, 17 columns) bind 4,352 parameters, well within SQLite's 32,766.
var batchChunks = []int{256, 64, 16, 4, 1}

// writeStmts are a commit's statements, prepared once when the store opens
// on its one write connection. A commit binds them to its transaction
// (tx.StmtContext) instead of having SQLite parse their SQL again. The
// tables a commit writes many rows of — the entries, their shares (about
// 22 per paid line), the lines, the nine rollup tables, the order counts,
// the income — are written by multi-row statements (batchStmt): a
// statement's fixed cost (database/sql, the driver, SQLite's reset) is paid
// once for hundreds of rows instead of once a row — a third less CPU per
// projected event (BENCHMARKS.md, issue 14). Rows of one statement that
// share a key are applied in turn, as separate statements would be: an
// upsert's second row updates the first's.
type writeStmts struct {
	insertEntries, insertShares *batchStmt
	deleteEntry, deleteShares   *sql.Stmt
	putStates                   *batchStmt
	putSnapshot                 *sql.Stmt
	putLivestream, putPosition  *sql.Stmt
	putIncome                   *batchStmt
	upsertRollups               []*batchStmt // in rollupTargets order
	upsertOrders                *batchStmt
	all                         []*sql.Stmt // to close
}

// batchStmt is one multi-row statement, head + VALUES (?, …), … + tail,
// prepared for each of batchChunks.
type batchStmt struct {
	what  string // for errors
	width int    // parameters per row
	sized map[int]*sql.Stmt
}

// batch is a batchStmt bound to one transaction, buffering its rows.
type batch struct {
	*batchStmt
	tx    *sql.Tx
	bound map[int]*sql.Stmt
	args  []any
}

func (b *batchStmt) in(tx *sql.Tx) *batch {
	return &batch{batchStmt: b, tx: tx, bound: map[int]*sql.Stmt{}}
}

// add queues a row (width values), running the largest statement once
// enough rows are queued for it.
func (b *batch) add(ctx context.Context, row ...any) error {
	if len(row) != b.width {
		return fmt.Errorf("%s: a row of %d values, want %d", b.what, len(row), b.width)
	}
	b.args = append(b.args, row...)
	if len(b.args) == b.width*batchChunks[0] {
		return b.flush(ctx)
	}
	return nil
}

// flush writes the queued rows: in chunks of the prepared sizes, the
// largest that fit.
func (b *batch) flush(ctx context.Context) error {
	rows := b.args
	b.args = b.args[:0]
	for len(rows) > 0 {
		size := 1
		for _, c := range batchChunks {
			if b.width*c <= len(rows) {
				size = c
				break
			}
		}
		st, ok := b.bound[size]
		if !ok {
			st = b.tx.StmtContext(ctx, b.sized[size])
			b.bound[size] = st
		}
		if _, err := st.ExecContext(ctx, rows[:b.width*size]...); err != nil {
			return fmt.Errorf("%s: %w", b.what, err)
		}
		rows = rows[b.width*size:]
	}
	return nil
}

func prepareWriteStmts(ctx context.Context, db *sql.DB) (*writeStmts, error) {
	w := &writeStmts{}
	var errs []error
	var all []*sql.Stmt
	prepare := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			errs = append(errs, fmt.Errorf("prepare %.60s…: %w", strings.Join(strings.Fields(q), " "), err))
			return nil
		}
		all = append(all, st)
		return st
	}
	batched := func(what, head string, width int, tail string) *batchStmt {
		b := &batchStmt{what: what, width: width, sized: map[int]*sql.Stmt{}}
		row := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + "),"
		for _, n := range batchChunks {
			b.sized[n] = prepare(head + " VALUES " + strings.TrimSuffix(strings.Repeat(row, n), ",") + " " + tail)
		}
		return b
	}
	// The entries' ids are given (see entryWriter), so that their shares
	// can be written without reading each id back.
	w.insertEntries = batched("insert ledger entries", `INSERT INTO entries (id, platform, order_id, line_id, entry_id, kind, at, day, minute, sku_id, product,
		enterprise_id, village_id, livestream_id, buyer_ref, attributed, amount_fen)`, 17, "")
	w.insertShares = batched("insert ledger shares", `INSERT INTO ledger (entry, party_kind, party_id, amount_fen)`, 4, "")
	w.deleteEntry = prepare(`DELETE FROM entries WHERE platform = ? AND order_id = ? AND line_id = ? AND entry_id = ? RETURNING id`)
	w.deleteShares = prepare(`DELETE FROM ledger WHERE entry = ?`)
	w.putStates = batched("store lines", `INSERT INTO lines (platform, order_id, line_id, state)`, 4,
		`ON CONFLICT (platform, order_id, line_id) DO UPDATE SET state = excluded.state`)
	w.putSnapshot = prepare(`INSERT OR IGNORE INTO listing_snapshots (hash, listing) VALUES (?, ?)`)
	for _, t := range rollupTargets() {
		head, tail := upsertSQL(t.name(), t.cols)
		w.upsertRollups = append(w.upsertRollups, batched("update rollup "+t.name(), head, len(t.cols)+2, tail))
	}
	w.upsertOrders = batched("update order counts", `INSERT INTO order_counts (gs, day, platform, enterprise_id, village_id, livestream_id, orders)`, 7,
		`ON CONFLICT (gs, day, platform, enterprise_id, village_id, livestream_id) DO UPDATE SET orders = orders + excluded.orders`)
	w.putLivestream = prepare(`INSERT INTO livestreams (id, platform, room_id, anchor_name) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET anchor_name = CASE WHEN excluded.anchor_name <> '' THEN excluded.anchor_name ELSE anchor_name END`)
	w.putIncome = batched("store income", `INSERT OR IGNORE INTO income
		(event_id, household_id, kind, amount_fen, enterprise_id, occurred_at, day, reference)`, 8, "")
	w.putPosition = prepare(`INSERT INTO checkpoints (consumer, partition, log_offset) VALUES (?, ?, ?)
		ON CONFLICT (consumer, partition) DO UPDATE SET log_offset = excluded.log_offset`)
	if len(errs) > 0 {
		closeAll(all)
		return nil, errors.Join(errs...)
	}
	w.all = all
	return w, nil
}

func (w *writeStmts) close() { closeAll(w.all) }

func closeAll(stmts []*sql.Stmt) {
	for _, st := range stmts {
		st.Close()
	}
}
