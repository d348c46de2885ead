package projections

import (
	"github.com/loquat-dev/loquat/domain"
)

// LedgerRows derives a line's ledger rows from its state: every entry
// (sale, clipped refunds) split by the line's listing. It is a pure function
// of the state, so the rows written earlier for a line can be recomputed
// exactly when the line changes, without reading them back.
func LedgerRows(st *domain.LineState) []LedgerRow {
	if st.Payment == nil {
		return nil
	}
	pay := st.Payment
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
	if l := st.Listing; l != nil {
		base.Product = l.Product
		base.EnterpriseID = l.EnterpriseID
		base.VillageID = l.VillageID
	}
	var rows []LedgerRow
	for _, e := range st.Entries() {
		shares, err := domain.AttributeLine(e.AmountFen, st.Listing)
		if err != nil {
			// Listings are validated before they enter the registry, so this
			// cannot happen; count the money rather than lose it.
			shares = []domain.Share{{Kind: domain.PartyUnattributed, AmountFen: e.AmountFen}}
		}
		for _, s := range shares {
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
func diffLedger(before, after []LedgerRow) (retract, add []LedgerRow) {
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
