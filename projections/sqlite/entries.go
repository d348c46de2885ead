package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// entryWriter writes ledger entries and their shares within one transaction,
// both buffered into multi-row inserts. It gives each entry its id itself,
// counting on from the largest id in the table (what SQLite would give an
// INTEGER PRIMARY KEY), so that the shares need not wait for the entry's
// insert to learn it: the commit's one write connection is the only writer.
type entryWriter struct {
	entries, shares           *batch
	deleteEntry, deleteShares *sql.Stmt
	tx                        *sql.Tx
	nextID                    int64 // 0: not read yet
}

func newEntryWriter(ctx context.Context, tx *sql.Tx, stmts *writeStmts) *entryWriter {
	return &entryWriter{
		tx:           tx,
		entries:      stmts.insertEntries.in(tx),
		shares:       stmts.insertShares.in(tx),
		deleteEntry:  tx.StmtContext(ctx, stmts.deleteEntry),
		deleteShares: tx.StmtContext(ctx, stmts.deleteShares),
	}
}

// add queues one entry (the rows of one entry of one line) and its shares.
func (w *entryWriter) add(ctx context.Context, rows []projections.LedgerRow) error {
	if w.nextID == 0 {
		if err := w.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM entries`).Scan(&w.nextID); err != nil {
			return fmt.Errorf("next ledger entry id: %w", err)
		}
	}
	id := w.nextID
	w.nextID++
	r := rows[0]
	var amount domain.Fen
	attributed := 1
	for _, x := range rows {
		amount += x.AmountFen
		if x.PartyKind == domain.PartyUnattributed {
			attributed = 0
		}
	}
	if err := w.entries.add(ctx, id, r.Platform, r.OrderID, r.LineID, r.EntryID, string(r.Kind), r.At.Unix(),
		domain.Day(r.At), domain.Minute(r.At), r.SKUID, r.Product, r.EnterpriseID, r.VillageID, r.LivestreamID, r.BuyerRef,
		attributed, int64(amount)); err != nil {
		return err
	}
	for _, x := range rows {
		if err := w.shares.add(ctx, id, string(x.PartyKind), x.PartyID, int64(x.AmountFen)); err != nil {
			return err
		}
	}
	return nil
}

// retract deletes an entry and its shares.
func (w *entryWriter) retract(ctx context.Context, r projections.LedgerRow) error {
	if err := w.flush(ctx); err != nil { // the entry may be queued
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

// flush writes the queued entries, then their shares.
func (w *entryWriter) flush(ctx context.Context) error {
	if err := w.entries.flush(ctx); err != nil {
		return err
	}
	return w.shares.flush(ctx)
}
