package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// sharesPerInsert is how many ledger shares one INSERT carries (4 values each).
const sharesPerInsert = 200

// entryWriter writes ledger entries and their shares within one transaction:
// an entry row each, and the shares buffered into multi-row inserts.
type entryWriter struct {
	insertEntry, deleteEntry, deleteShares, insertShares *sql.Stmt
	tx                                                   *sql.Tx
	shares                                               []any
}

func newEntryWriter(ctx context.Context, tx *sql.Tx) (*entryWriter, error) {
	w := &entryWriter{tx: tx, shares: make([]any, 0, 4*sharesPerInsert)}
	var err error
	prepare := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = tx.PrepareContext(ctx, q)
		return st
	}
	w.insertEntry = prepare(`INSERT INTO entries (platform, order_id, line_id, entry_id, kind, at, day, minute, sku_id, product,
		enterprise_id, village_id, livestream_id, buyer_ref, attributed, amount_fen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	w.deleteEntry = prepare(`DELETE FROM entries WHERE platform = ? AND order_id = ? AND line_id = ? AND entry_id = ? RETURNING id`)
	w.deleteShares = prepare(`DELETE FROM ledger WHERE entry = ?`)
	w.insertShares = prepare(`INSERT INTO ledger (entry, party_kind, party_id, amount_fen) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?),", sharesPerInsert), ","))
	if err != nil {
		w.close()
		return nil, err
	}
	return w, nil
}

func (w *entryWriter) close() {
	for _, st := range []*sql.Stmt{w.insertEntry, w.deleteEntry, w.deleteShares, w.insertShares} {
		if st != nil {
			st.Close()
		}
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

// flush inserts the queued shares.
func (w *entryWriter) flush(ctx context.Context) error {
	if len(w.shares) == 0 {
		return nil
	}
	var err error
	if len(w.shares) == cap(w.shares) {
		_, err = w.insertShares.ExecContext(ctx, w.shares...)
	} else {
		n := len(w.shares) / 4
		_, err = w.tx.ExecContext(ctx, `INSERT INTO ledger (entry, party_kind, party_id, amount_fen) VALUES `+
			strings.TrimSuffix(strings.Repeat("(?,?,?,?),", n), ","), w.shares...)
	}
	w.shares = w.shares[:0]
	if err != nil {
		return fmt.Errorf("insert ledger shares: %w", err)
	}
	return nil
}
