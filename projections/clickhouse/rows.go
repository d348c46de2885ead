package clickhouse

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// lineRows holds the rows a batch's line changes write.
type lineRows struct {
	// entries
	eDay, ePlatform, eOrder, eLine, eEntry, eKind, eMinute, eSKU, eProduct,
	eEnterprise, eVillage, eLivestream, eBuyer col[string]
	eAt, eAmount col[int64]
	eAttributed  col[uint8]
	eSign        col[int8]
	// ledger
	sPlatform, sOrder, sLine, sEntry, sKind, sParty col[string]
	sAmount                                         col[int64]
	sSign                                           col[int8]

	rollup      projections.Rollup
	livestreams map[string]projections.LedgerRow
	streamOrder []string
}

// batchContent is what a commit writes.
type batchContent struct {
	inserts []*insert // every insert but the checkpoint
	hashes  []string  // the listing snapshots the lines refer to
	stored  []projections.StoredLine
	// rollupRows is how many rows the batch adds to sales_rollup.
	rollupRows uint64
}

// batchRows builds every insert of a batch (without the checkpoint).
func (s *Store) batchRows(ctx context.Context, b *projections.Batch, batch uint64) (*batchContent, error) {
	inserts, err := registryRows(b.Registry, batch)
	if err != nil {
		return nil, err
	}
	// Three builders side by side: the line states (JSON, and the listing
	// snapshots they refer to), the order counts, and here the entries,
	// shares and rollups. They read the batch and write their own columns.
	var (
		wg          sync.WaitGroup
		states      stateRows
		statesErr   error
		orderCounts *insert
		w           = &lineRows{livestreams: map[string]projections.LedgerRow{}}
	)
	wg.Go(func() { statesErr = s.buildStates(ctx, b.Lines, &states) })
	wg.Go(func() { orderCounts = orderCountsInsert(b.Orders, batch, s.w.fold) })
	w.grow(b.Lines)
	for _, c := range b.Lines {
		for group := range projections.ByEntry(c.Retract) {
			w.entry(group, -1)
		}
		for group := range projections.ByEntry(c.Add) {
			w.entry(group, 1)
			if r := group[0]; r.LivestreamID != "" {
				if _, ok := w.livestreams[r.LivestreamID]; !ok {
					w.streamOrder = append(w.streamOrder, r.LivestreamID)
				}
				w.livestreams[r.LivestreamID] = r
			}
		}
	}
	wg.Wait()
	if statesErr != nil {
		return nil, statesErr
	}
	bt := func(n int) *col[uint64] { return new(col[uint64]).repeat(batch, n) }
	rollup := w.rollupInsert(batch, s.w.fold)
	entries := &insert{table: "entries", columns: []string{"day", "platform", "order_id", "line_id", "entry_id", "kind", "at", "minute",
		"sku_id", "product", "enterprise_id", "village_id", "livestream_id", "buyer_ref", "attributed", "amount_fen", "sign", "batch"},
		parts: []part{&w.eDay, &w.ePlatform, &w.eOrder, &w.eLine, &w.eEntry, &w.eKind, &w.eAt, &w.eMinute,
			&w.eSKU, &w.eProduct, &w.eEnterprise, &w.eVillage, &w.eLivestream, &w.eBuyer, &w.eAttributed, &w.eAmount, &w.eSign, bt(len(w.eSign))}}
	// livestream_entries: the entries sold through a livestream again,
	// sorted by livestream for the livestream queries.
	// refund_entries: the refunds again, for counting refunded orders.
	// retracted_entries: the keys of the retraction rows (see liveEntries).
	var streamed, refunds, retracted []int
	for i, ls := range w.eLivestream {
		if ls != "" {
			streamed = append(streamed, i)
		}
		if w.eKind[i] == string(domain.EntryRefund) {
			refunds = append(refunds, i)
		}
		if w.eSign[i] < 0 {
			retracted = append(retracted, i)
		}
	}
	inserts = append(inserts,
		&insert{table: "listing_snapshots", columns: []string{"hash", "listing", "batch"},
			parts: []part{&states.snapHash, &states.snapRaw, bt(len(states.snapHash))}},
		&insert{table: "lines", columns: []string{"platform", "order_id", "line_id", "state", "batch"},
			parts: []part{&states.platform, &states.order, &states.line, &states.state, bt(len(states.state))}},
		entries,
		entries.pick("livestream_entries", streamed),
		entries.pick("refund_entries", refunds),
		&insert{table: "retracted_entries", columns: []string{"platform", "order_id", "line_id", "entry_id", "batch"},
			parts: []part{w.ePlatform.pick(retracted), w.eOrder.pick(retracted), w.eLine.pick(retracted), w.eEntry.pick(retracted),
				bt(len(w.eSign)).pick(retracted)}},
		&insert{table: "ledger", columns: []string{"platform", "order_id", "line_id", "entry_id", "party_kind", "party_id", "amount_fen", "sign", "batch"},
			parts: []part{&w.sPlatform, &w.sOrder, &w.sLine, &w.sEntry, &w.sKind, &w.sParty, &w.sAmount, &w.sSign, bt(len(w.sSign))}},
		rollup,
		w.summaryInsert(batch, s.w.fold),
		orderCounts,
		w.livestreamInsert(batch),
		incomeInsert(b.Income, batch),
	)
	return &batchContent{inserts: inserts, hashes: states.hashes, stored: states.stored, rollupRows: uint64(rollup.len())}, nil
}

// stateRows are the rows of the lines table a batch writes, and of the
// listing snapshots they refer to that the store does not hold yet.
type stateRows struct {
	platform, order, line, state col[string]
	stored                       []projections.StoredLine
	hashes                       []string // the snapshots the lines refer to
	snapHash, snapRaw            col[string]
}

// buildStates encodes the changed lines' states (the lines table) and
// finds the listing snapshots to write with them.
func (s *Store) buildStates(ctx context.Context, changes []projections.LineChange, out *stateRows) error {
	for _, c := range []*col[string]{&out.platform, &out.order, &out.line, &out.state} {
		c.grow(len(changes))
	}
	out.stored = make([]projections.StoredLine, 0, len(changes))
	var unknown []string
	var buf []byte
	for _, c := range changes {
		stored := projections.StoredLine{Payment: c.State.Payment, Refunds: c.State.Refunds}
		if c.State.Listing != nil {
			h, _ := s.snapshots.HashOf(c.State.Listing)
			stored.Listing = h
			if !slices.Contains(out.hashes, h) {
				out.hashes = append(out.hashes, h)
				if !s.snapshots.IsStored(h) {
					unknown = append(unknown, h)
				}
			}
		}
		var err error
		if buf, err = stored.AppendJSON(buf[:0]); err != nil {
			return err
		}
		out.stored = append(out.stored, stored)
		k := c.State.Key
		out.platform.add(k.Platform)
		out.order.add(k.OrderID)
		out.line.add(k.LineID)
		out.state.add(string(buf))
	}
	// Snapshots this process has not seen committed: write those that
	// are not there yet.
	have, err := s.storedSnapshots(ctx, unknown)
	if err != nil {
		return fmt.Errorf("look up listing snapshots: %w", err)
	}
	for _, h := range unknown {
		if !have[h] {
			_, raw, _ := s.snapshots.Get(h)
			out.snapHash.add(h)
			out.snapRaw.add(raw)
		}
	}
	return nil
}

// grow makes room for the rows of the line changes: growing the columns
// row by row copied each of them several times over.
func (w *lineRows) grow(changes []projections.LineChange) {
	var ledger, entries int
	for _, c := range changes {
		ledger += len(c.Retract) + len(c.Add)
		for range projections.ByEntry(c.Retract) {
			entries++
		}
		for range projections.ByEntry(c.Add) {
			entries++
		}
	}
	for _, c := range []*col[string]{&w.eDay, &w.ePlatform, &w.eOrder, &w.eLine, &w.eEntry, &w.eKind, &w.eMinute, &w.eSKU,
		&w.eProduct, &w.eEnterprise, &w.eVillage, &w.eLivestream, &w.eBuyer} {
		c.grow(entries)
	}
	w.eAt.grow(entries)
	w.eAmount.grow(entries)
	w.eAttributed.grow(entries)
	w.eSign.grow(entries)
	for _, c := range []*col[string]{&w.sPlatform, &w.sOrder, &w.sLine, &w.sEntry, &w.sKind, &w.sParty} {
		c.grow(ledger)
	}
	w.sAmount.grow(ledger)
	w.sSign.grow(ledger)
}

// entry writes one entry's row and its shares with the sign (1 add, -1
// retract), and moves the rollup by the same amounts.
func (w *lineRows) entry(rows []projections.LedgerRow, sign int8) {
	r := rows[0]
	var amount domain.Fen
	attributed := uint8(1)
	for _, x := range rows {
		amount += x.AmountFen
		if x.PartyKind == domain.PartyUnattributed {
			attributed = 0
		}
		w.sPlatform.add(x.Platform)
		w.sOrder.add(x.OrderID)
		w.sLine.add(x.LineID)
		w.sEntry.add(x.EntryID)
		w.sKind.add(string(x.PartyKind))
		w.sParty.add(x.PartyID)
		w.sAmount.add(int64(x.AmountFen))
		w.sSign.add(sign)
	}
	w.rollup.AddEntry(rows, domain.Fen(sign))
	w.eDay.add(domain.Day(r.At))
	w.ePlatform.add(r.Platform)
	w.eOrder.add(r.OrderID)
	w.eLine.add(r.LineID)
	w.eEntry.add(r.EntryID)
	w.eKind.add(string(r.Kind))
	w.eAt.add(r.At.Unix())
	w.eMinute.add(domain.Minute(r.At))
	w.eSKU.add(r.SKUID)
	w.eProduct.add(r.Product)
	w.eEnterprise.add(r.EnterpriseID)
	w.eVillage.add(r.VillageID)
	w.eLivestream.add(r.LivestreamID)
	w.eBuyer.add(r.BuyerRef)
	w.eAttributed.add(attributed)
	w.eAmount.add(int64(amount))
	w.eSign.add(sign)
}

// rollupInsert is the batch's change to sales_rollup: one row per key,
// leaving out keys whose change is nil (as the SQLite store does).
func (w *lineRows) rollupInsert(batch, gen uint64) *insert {
	var day, platform, product, enterprise, village, livestream, kind, party col[string]
	var sales, refunds col[int64]
	var bt, gn col[uint64]
	for _, k := range w.rollup.Keys {
		d := w.rollup.Deltas[k]
		if d.SalesFen == 0 && d.RefundsFen == 0 {
			continue
		}
		day.add(k.Day)
		platform.add(k.Platform)
		product.add(k.Product)
		enterprise.add(k.EnterpriseID)
		village.add(k.VillageID)
		livestream.add(k.LivestreamID)
		kind.add(string(k.PartyKind))
		party.add(k.PartyID)
		sales.add(int64(d.SalesFen))
		refunds.add(int64(d.RefundsFen))
		gn.add(gen)
		bt.add(batch)
	}
	return &insert{table: "sales_rollup",
		columns: []string{"day", "platform", "product", "enterprise_id", "village_id", "livestream_id", "party_kind", "party_id", "sales_fen", "refunds_fen", "gen", "batch"},
		parts:   []part{&day, &platform, &product, &enterprise, &village, &livestream, &kind, &party, &sales, &refunds, &gn, &bt}}
}

// summaryInsert is the batch's change to sales_summary: rollupInsert's
// rows summed over party_id, a row for every key of which rollupInsert
// writes one (even when the parties' changes cancel out), so that a query
// finds the same groups in both tables.
func (w *lineRows) summaryInsert(batch, gen uint64) *insert {
	type key struct{ day, platform, product, enterprise, village, livestream, kind string }
	sums := map[key]int{}
	var day, platform, product, enterprise, village, livestream, kind col[string]
	var sales, refunds col[int64]
	var gn, bt col[uint64]
	for _, k := range w.rollup.Keys {
		d := w.rollup.Deltas[k]
		if d.SalesFen == 0 && d.RefundsFen == 0 {
			continue // rollupInsert leaves it out
		}
		sk := key{k.Day, k.Platform, k.Product, k.EnterpriseID, k.VillageID, k.LivestreamID, string(k.PartyKind)}
		j, ok := sums[sk]
		if !ok {
			j = len(sales)
			sums[sk] = j
			day.add(sk.day)
			platform.add(sk.platform)
			product.add(sk.product)
			enterprise.add(sk.enterprise)
			village.add(sk.village)
			livestream.add(sk.livestream)
			kind.add(sk.kind)
			sales.add(0)
			refunds.add(0)
			gn.add(gen)
			bt.add(batch)
		}
		sales[j] += int64(d.SalesFen)
		refunds[j] += int64(d.RefundsFen)
	}
	return &insert{table: "sales_summary",
		columns: []string{"day", "platform", "product", "enterprise_id", "village_id", "livestream_id", "party_kind", "sales_fen", "refunds_fen", "gen", "batch"},
		parts:   []part{&day, &platform, &product, &enterprise, &village, &livestream, &kind, &sales, &refunds, &gn, &bt}}
}

// livestreamInsert records the livestreams the batch sold through, with the
// anchor of the batch's last entry in each (an empty anchor does not
// replace a known one when read).
func (w *lineRows) livestreamInsert(batch uint64) *insert {
	var id, platform, room, anchor col[string]
	var bt col[uint64]
	for _, ls := range w.streamOrder {
		r := w.livestreams[ls]
		id.add(ls)
		platform.add(r.Platform)
		room.add(strings.TrimPrefix(ls, r.Platform+":"))
		anchor.add(r.AnchorName)
		bt.add(batch)
	}
	return &insert{table: "livestreams", columns: []string{"id", "platform", "room_id", "anchor_name", "batch"},
		parts: []part{&id, &platform, &room, &anchor, &bt}}
}

func incomeInsert(records []projections.IncomeRecord, batch uint64) *insert {
	var id, household, kind, enterprise, day, ref col[string]
	var amount, at col[int64]
	var bt col[uint64]
	seen := map[string]bool{}
	for _, in := range records {
		if seen[in.EventID] {
			continue
		}
		seen[in.EventID] = true
		id.add(in.EventID)
		household.add(in.HouseholdID)
		kind.add(in.Kind)
		amount.add(int64(in.AmountFen))
		enterprise.add(in.EnterpriseID)
		at.add(in.OccurredAt.Unix())
		day.add(domain.Day(in.OccurredAt))
		ref.add(in.Reference)
		bt.add(batch)
	}
	return &insert{table: "income",
		columns: []string{"event_id", "household_id", "kind", "amount_fen", "enterprise_id", "occurred_at", "day", "reference", "batch"},
		parts:   []part{&id, &household, &kind, &amount, &enterprise, &at, &day, &ref, &bt}}
}
