package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// shareChunks are the row counts of the prepared ledger-share inserts,
// largest first: a commit's shares go two hundred to a statement, and the
// rest in as few smaller ones as fit.
var shareChunks = []int{200, 50, 10, 1}

// writeStmts are a commit's statements, prepared once when the store opens
// on its one write connection. A commit binds them to its transaction
// (tx.StmtContext) instead of having SQLite parse their SQL again: seven
// statements a commit, one of them two hundred rows wide, and a new
// statement for every last, partial chunk of shares.
type writeStmts struct {
	insertEntry, deleteEntry, deleteShares *sql.Stmt
	insertShares                           map[int]*sql.Stmt // by rows, shareChunks
	putState, putSnapshot                  *sql.Stmt
	putLivestream, putIncome, putPosition  *sql.Stmt
	upsertRollups                          []*sql.Stmt // in rollupTargets order
	upsertOrders                           *sql.Stmt
}

func prepareWriteStmts(ctx context.Context, db *sql.DB) (*writeStmts, error) {
	w := &writeStmts{insertShares: map[int]*sql.Stmt{}}
	var errs []error
	prepare := func(q string) *sql.Stmt {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			errs = append(errs, fmt.Errorf("prepare %.60s…: %w", strings.Join(strings.Fields(q), " "), err))
		}
		return st
	}
	w.insertEntry = prepare(`INSERT INTO entries (platform, order_id, line_id, entry_id, kind, at, day, minute, sku_id, product,
		enterprise_id, village_id, livestream_id, buyer_ref, attributed, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.deleteEntry = prepare(`DELETE FROM entries WHERE platform = ? AND order_id = ? AND line_id = ? AND entry_id = ? RETURNING id`)
	w.deleteShares = prepare(`DELETE FROM ledger WHERE entry = ?`)
	for _, n := range shareChunks {
		w.insertShares[n] = prepare(`INSERT INTO ledger (entry, party_kind, party_id, amount_fen) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?),", n), ","))
	}
	w.putState = prepare(`INSERT INTO lines (platform, order_id, line_id, state) VALUES (?, ?, ?, ?)
		ON CONFLICT (platform, order_id, line_id) DO UPDATE SET state = excluded.state`)
	w.putSnapshot = prepare(`INSERT OR IGNORE INTO listing_snapshots (hash, listing) VALUES (?, ?)`)
	for _, t := range rollupTargets() {
		w.upsertRollups = append(w.upsertRollups, prepare(upsertSQL(t.name(), t.cols)))
	}
	w.upsertOrders = prepare(`INSERT INTO order_counts (gs, day, platform, enterprise_id, village_id, livestream_id, orders)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (gs, day, platform, enterprise_id, village_id, livestream_id) DO UPDATE SET orders = orders + excluded.orders`)
	w.putLivestream = prepare(`INSERT INTO livestreams (id, platform, room_id, anchor_name) VALUES (?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET anchor_name = CASE WHEN excluded.anchor_name <> '' THEN excluded.anchor_name ELSE anchor_name END`)
	w.putIncome = prepare(`INSERT OR IGNORE INTO income
		(event_id, household_id, kind, amount_fen, enterprise_id, occurred_at, day, reference) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	w.putPosition = prepare(`INSERT INTO checkpoints (consumer, partition, log_offset) VALUES (?, ?, ?)
		ON CONFLICT (consumer, partition) DO UPDATE SET log_offset = excluded.log_offset`)
	if len(errs) > 0 {
		w.close()
		return nil, errors.Join(errs...)
	}
	return w, nil
}

func (w *writeStmts) close() {
	all := append([]*sql.Stmt{w.insertEntry, w.deleteEntry, w.deleteShares, w.putState, w.putSnapshot,
		w.upsertOrders, w.putLivestream, w.putIncome, w.putPosition}, slices.Collect(maps.Values(w.insertShares))...)
	for _, st := range append(all, w.upsertRollups...) {
		if st != nil {
			st.Close()
		}
	}
}
