package projections

import (
	"iter"

	"github.com/loquat-dev/loquat/domain"
)

// LedgerRows derives a line's ledger rows from its state: every entry
// (sale, clipped refunds) split by the line's listing. It is a pure function
// of the state, so the rows written earlier for a line can be recomputed
// exactly when the line changes, without reading them back.
func LedgerRows(st *domain.LineState) []LedgerRow {
	// A corrected line counts its effective payment and listing.
	pay, listing, _ := st.Effective()
	if pay == nil {
		return nil
	}
	base := LedgerRow{
		Platform:     st.Key.Platform,
		OrderID:      st.Key.OrderID,
		LineID:       st.Key.LineID,
		SKUID:        pay.SKUID,
		Product:      pay.ProductName,
		LivestreamID: domain.LivestreamID(st.Key.Platform, pay.Livestream),
		BuyerRef:     pay.BuyerRef,
	}
	if pay.Livestream != nil {
		base.AnchorName = pay.Livestream.AnchorName
	}
	if l := listing; l != nil {
		base.Product = l.Product
		base.EnterpriseID = l.EnterpriseID
		base.VillageID = l.VillageID
	}
	entries := st.Entries()
	// Each entry's shares first, so that the rows (large) are allocated
	// once for the line.
	shares := make([][]domain.Share, len(entries))
	n := 0
	for i, e := range entries {
		var err error
		if shares[i], err = domain.AttributeLine(e.AmountFen, listing); err != nil {
			// Listings are validated before they enter the registry, so this
			// cannot happen; count the money rather than lose it.
			shares[i] = []domain.Share{{Kind: domain.PartyUnattributed, AmountFen: e.AmountFen}}
		}
		n += len(shares[i])
	}
	if n == 0 {
		return nil
	}
	rows := make([]LedgerRow, 0, n)
	for i, e := range entries {
		for _, s := range shares[i] {
			r := base
			r.EntryID, r.Kind, r.At = e.ID, e.Kind, e.At
			r.PartyKind, r.PartyID, r.AmountFen = s.Kind, s.PartyID, s.AmountFen
			rows = append(rows, r)
		}
	}
	return rows
}

// diffLedger returns the rows to retract and to add to go from before to
// after. Entries are compared by id and amount: a line's listing never
// changes once paid, so an entry with the same amount has the same rows.
//
// The result may share after's backing array: ledger rows are never
// modified once made.
func diffLedger(before, after []LedgerRow) (retract, add []LedgerRow) {
	if len(before) == 0 {
		return nil, after // a new line, most of them: everything is added
	}
	sum := func(rows []LedgerRow) map[string]domain.Fen {
		m := map[string]domain.Fen{}
		for _, r := range rows {
			m[r.EntryID] += r.AmountFen
		}
		return m
	}
	// Amount sums identify an entry's rows because a line's shares are fixed.
	b, a := sum(before), sum(after)
	changed := func(id string) bool {
		ba, inB := b[id]
		aa, inA := a[id]
		return inB != inA || ba != aa
	}
	for _, r := range before {
		if changed(r.EntryID) {
			retract = append(retract, r)
		}
	}
	for _, r := range after {
		if changed(r.EntryID) {
			add = append(add, r)
		}
	}
	return retract, add
}

// ByEntry yields a line's ledger rows in the groups of one entry each, in
// order (LedgerRows and diffLedger keep an entry's shares together).
func ByEntry(rows []LedgerRow) iter.Seq[[]LedgerRow] {
	return func(yield func([]LedgerRow) bool) {
		for i := 0; i < len(rows); {
			j := i + 1
			for j < len(rows) && rows[j].EntryID == rows[i].EntryID {
				j++
			}
			if !yield(rows[i:j]) {
				return
			}
			i = j
		}
	}
}

// RollupKey is one key of a store's daily rollup: a China-time day and
// every dimension the API groups money by.
type RollupKey struct {
	Day, Platform, Product, EnterpriseID, VillageID, LivestreamID string
	PartyKind                                                     domain.PartyKind
	PartyID                                                       string
}

// RollupDelta is a batch's change of money under one RollupKey.
type RollupDelta struct{ SalesFen, RefundsFen domain.Fen }

// Rollup sums a batch's ledger rows into its change of the daily rollup.
type Rollup struct {
	// Keys are the keys in the order first seen; a key whose change came
	// to nothing is still listed (its delta is zero).
	Keys   []RollupKey
	Deltas map[RollupKey]*RollupDelta
}

// AddEntry adds an entry's ledger rows (sign 1) or takes retracted ones
// away (sign -1). The rows of one entry share its time, so the day is
// worked out once.
func (r *Rollup) AddEntry(rows []LedgerRow, sign domain.Fen) {
	if len(rows) == 0 {
		return
	}
	day := domain.Day(rows[0].At)
	for _, row := range rows {
		r.add(day, row, sign)
	}
}

func (r *Rollup) add(day string, row LedgerRow, sign domain.Fen) {
	k := RollupKey{day, row.Platform, row.Product, row.EnterpriseID, row.VillageID, row.LivestreamID, row.PartyKind, row.PartyID}
	if r.Deltas == nil {
		r.Deltas = map[RollupKey]*RollupDelta{}
	}
	d := r.Deltas[k]
	if d == nil {
		d = &RollupDelta{}
		r.Deltas[k] = d
		r.Keys = append(r.Keys, k)
	}
	if row.Kind == domain.EntrySale {
		d.SalesFen += sign * row.AmountFen
	} else {
		d.RefundsFen -= sign * row.AmountFen
	}
}
