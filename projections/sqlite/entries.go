package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// entryWriter writes ledger entries and their shares within one transaction:
// an entry row each, and the shares buffered into multi-row inserts.
type entryWriter struct {
	tx    *sql.Tx
	stmts *writeStmts
	// The store's statements, bound to tx.
	insertEntry, deleteEntry, deleteShares *sql.Stmt
	insertShares                           map[int]*sql.Stmt // bound as needed
	shares                                 []any
}

func newEntryWriter(ctx context.Context, tx *sql.Tx, stmts *writeStmts) *entryWriter {
	return &entryWriter{
		tx: tx, stmts: stmts,
		insertEntry:  tx.StmtContext(ctx, stmts.insertEntry),
		deleteEntry:  tx.StmtContext(ctx, stmts.deleteEntry),
		deleteShares: tx.StmtContext(ctx, stmts.deleteShares),
		insertShares: map[int]*sql.Stmt{},
		shares:       make([]any, 0, 4*shareChunks[0]),
	}
}

// add writes one entry (the rows of one entry of one line) and queues its shares.
func (w *entryWriter) add(ctx context.Context, rows []projections.LedgerRow) error {
	r := rows[0]
	var amount domain.Fen
	attributed := 1
	for _, x := range rows {
		amount += x.AmountFen
		if x.PartyKind == domain.PartyUnattributed {
			attributed = 0
		}
	}
	res, err := w.insertEntry.ExecContext(ctx, r.Platform, r.OrderID, r.LineID, r.EntryID, string(r.Kind), r.At.Unix(),
		domain.Day(r.At), domain.Minute(r.At), r.SKUID, r.Product, r.EnterpriseID, r.VillageID, r.LivestreamID, r.BuyerRef,
		attributed, int64(amount))
	if err != nil {
		return fmt.Errorf("insert ledger entry %s: %w", r.EntryID, err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	for _, x := range rows {
		w.shares = append(w.shares, id, string(x.PartyKind), x.PartyID, int64(x.AmountFen))
		if len(w.shares) == cap(w.shares) {
			if err := w.flush(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// retract deletes an entry and its shares.
func (w *entryWriter) retract(ctx context.Context, r projections.LedgerRow) error {
	if err := w.flush(ctx); err != nil { // queued shares may belong to it
		return err
	}
	var id int64
	if err := w.deleteEntry.QueryRowContext(ctx, r.Platform, r.OrderID, r.LineID, r.EntryID).Scan(&id); err != nil {
		return fmt.Errorf("retract ledger entry %s of %s/%s/%s: %w", r.EntryID, r.Platform, r.OrderID, r.LineID, err)
	}
	if _, err := w.deleteShares.ExecContext(ctx, id); err != nil {
		return fmt.Errorf("retract shares of ledger entry %s: %w", r.EntryID, err)
	}
	return nil
}

// flush inserts the queued shares: in chunks of the prepared sizes, the
// largest that fit.
func (w *entryWriter) flush(ctx context.Context) error {
	rows := w.shares
	w.shares = w.shares[:0]
	for len(rows) > 0 {
		size := 1
		for _, c := range shareChunks {
			if 4*c <= len(rows) {
				size = c
				break
			}
		}
		st, ok := w.insertShares[size]
		if !ok {
			st = w.tx.StmtContext(ctx, w.stmts.insertShares[size])
			w.insertShares[size] = st
		}
		if _, err := st.ExecContext(ctx, rows[:4*size]...); err != nil {
			return fmt.Errorf("insert ledger shares: %w", err)
		}
		rows = rows[4*size:]
	}
	return nil
}
