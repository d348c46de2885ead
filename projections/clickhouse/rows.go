package clickhouse

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

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
	// shares
	sEntry, sKind, sParty col[string]
	sAmount               col[int64]
	sSign                 col[int8]

	rollup      projections.Rollup
	livestreams map[string]projections.LedgerRow
	streamOrder []string

	// ents are the batch's entries in line order, written to the entry
	// columns by day (entryColumns).
	ents []entryRef
	// retracted_entries, in line order
	rPlatform, rOrder, rLine, rEntry col[string]

	groups []signedEntry // line's scratch
}

// entryRef is one entry of the batch: its ledger rows, sign, sum and day.
type entryRef struct {
	rows       []projections.LedgerRow
	sign       int8
	attributed uint8
	amount     domain.Fen
	day        int64 // China-time days since 1970-01-01
}

// lineOrder returns the indexes of the line changes in line key order
// (platform, order_id, line_id). Rows sent in a table's sort key order
// spare the server its sort: ClickHouse checks whether an inserted block
// is sorted before sorting it, and a sorted block cost 18.16 a third of
// the CPU of the same rows unsorted (132,000 ledger rows: 30 against
// 80 ms). The lines table and retracted_entries follow this order (a
// line's entries in id order); entries are regrouped by day from it
// (entryColumns), refund_entries are a part of entries, and
// livestream_entries are regrouped by livestream (stableOrderBy); shares
// are ordered by batch alone. Only speed depends on it: the server sorts
// whatever it gets.
func lineOrder(changes []projections.LineChange) []int {
	// Sorted as compact keys rather than through the changes (large, and
	// read all over memory), mostly by integers: the platform's rank and
	// eight bytes of the order id after the prefix that all of the
	// platform's order ids in the batch share; equal integers fall back to
	// comparing the strings.
	type lineKey struct {
		platform uint32
		order    uint64
		i        int32
	}
	var platforms []string
	for i := range changes {
		if p := changes[i].State.Key.Platform; !slices.Contains(platforms, p) {
			platforms = append(platforms, p)
		}
	}
	slices.Sort(platforms)
	shared := make([]string, len(platforms)) // each platform's common order id prefix
	seen := make([]bool, len(platforms))
	ranks := make([]uint32, len(changes))
	for i := range changes {
		k := &changes[i].State.Key
		r := slices.Index(platforms, k.Platform)
		ranks[i] = uint32(r)
		if !seen[r] {
			shared[r], seen[r] = k.OrderID, true
			continue
		}
		n := 0
		for n < len(shared[r]) && n < len(k.OrderID) && shared[r][n] == k.OrderID[n] {
			n++
		}
		shared[r] = shared[r][:n]
	}
	keys := make([]lineKey, len(changes))
	for i := range changes {
		id := changes[i].State.Key.OrderID[len(shared[ranks[i]]):]
		var b [8]byte
		copy(b[:], id)
		keys[i] = lineKey{ranks[i], binary.BigEndian.Uint64(b[:]), int32(i)}
	}
	slices.SortFunc(keys, func(a, b lineKey) int {
		if a.platform != b.platform {
			return cmp.Compare(a.platform, b.platform)
		}
		if a.order != b.order {
			return cmp.Compare(a.order, b.order)
		}
		ka, kb := &changes[a.i].State.Key, &changes[b.i].State.Key
		if c := strings.Compare(ka.OrderID, kb.OrderID); c != 0 {
			return c
		}
		if c := strings.Compare(ka.LineID, kb.LineID); c != 0 {
			return c
		}
		return cmp.Compare(a.i, b.i) // a line twice: in the batch's order
	})
	order := make([]int, len(keys))
	for j, k := range keys {
		order[j] = int(k.i)
	}
	return order
}

// stableOrderBy returns the indexes ordered by their key, in their given
// order within a key: a counting sort, since a batch's livestreams are few.
func stableOrderBy(keys []string, idx []int) []int {
	count := map[string]int{}
	for _, i := range idx {
		count[keys[i]]++
	}
	distinct := make([]string, 0, len(count))
	for k := range count {
		distinct = append(distinct, k)
	}
	slices.Sort(distinct)
	at := 0
	for _, k := range distinct {
		at, count[k] = at+count[k], at
	}
	out := make([]int, len(idx))
	for _, i := range idx {
		k := keys[i]
		out[count[k]] = i
		count[k]++
	}
	return out
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
	wg.Go(func() { orderCounts = orderCountsInsert(b.Orders, batch, s.w.fold) })
	// Rows are written in each table's sort key order (see lineOrder).
	order := lineOrder(b.Lines)
	wg.Go(func() { statesErr = s.buildStates(ctx, b.Lines, order, &states) })
	w.grow(b.Lines)
	for _, i := range order {
		w.line(&b.Lines[i])
	}
	w.entryColumns()
	// A livestream's anchor is the one of the batch's last entry through
	// it, in the batch's own order.
	for _, c := range b.Lines {
		for group := range projections.ByEntry(c.Add) {
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
	var streamed, refunds []int
	for i, ls := range w.eLivestream {
		if ls != "" {
			streamed = append(streamed, i)
		}
		if w.eKind[i] == string(domain.EntryRefund) {
			refunds = append(refunds, i)
		}
	}
	streamed = stableOrderBy(w.eLivestream, streamed)
	inserts = append(inserts,
		&insert{table: "listing_snapshots", columns: []string{"hash", "listing", "batch"},
			parts: []part{&states.snapHash, &states.snapRaw, bt(len(states.snapHash))}},
		&insert{table: "lines", columns: []string{"platform", "order_id", "line_id", "state", "batch"},
			parts: []part{&states.platform, &states.order, &states.line, &states.state, bt(len(states.state))}},
		entries,
		entries.pick("livestream_entries", streamed),
		entries.pick("refund_entries", refunds),
		// retracted_entries: the keys of the retraction rows (see liveEntries).
		&insert{table: "retracted_entries", columns: []string{"platform", "order_id", "line_id", "entry_id", "batch"},
			parts: []part{&w.rPlatform, &w.rOrder, &w.rLine, &w.rEntry, bt(len(w.rEntry))}},
		&insert{table: "shares", columns: []string{"entry_id", "party_kind", "party_id", "amount_fen", "sign", "batch"},
			parts: []part{&w.sEntry, &w.sKind, &w.sParty, &w.sAmount, &w.sSign, bt(len(w.sSign))}},
		rollup,
		w.summaryInsert(batch, s.w.fold),
		orderCounts,
		w.livestreamInsert(batch),
		incomeInsert(b.Income, batch),
	)
	conflicts, err := conflictsInsert(b.Conflicts, batch)
	if err != nil {
		return nil, err
	}
	inserts = append(inserts, conflicts)
	if len(b.Corrections) > 0 {
		corrections, err := correctionsInsert(b.Corrections, batch)
		if err != nil {
			return nil, err
		}
		inserts = append(inserts, corrections)
	}
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
// Its rows follow order; out.stored follows changes.
func (s *Store) buildStates(ctx context.Context, changes []projections.LineChange, order []int, out *stateRows) error {
	for _, c := range []*col[string]{&out.platform, &out.order, &out.line, &out.state} {
		c.grow(len(changes))
	}
	out.stored = make([]projections.StoredLine, len(changes))
	var unknown []string
	// The states are encoded one after the other into one buffer, made a
	// string once and sliced: a string of its own for each was an
	// allocation and a copy per line.
	var buf []byte
	ends := make([]int, 0, len(changes))
	for _, i := range order {
		c := &changes[i]
		stored := projections.StoredLine{Payment: c.State.Payment, Refunds: c.State.Refunds, Corrections: c.State.Corrections}
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
		if buf, err = stored.AppendJSON(buf); err != nil {
			return err
		}
		ends = append(ends, len(buf))
		out.stored[i] = stored
		k := c.State.Key
		out.platform.add(k.Platform)
		out.order.add(k.OrderID)
		out.line.add(k.LineID)
	}
	all, start := string(buf), 0
	for _, end := range ends {
		out.state.add(all[start:end])
		start = end
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
	w.ents = slices.Grow(w.ents, entries)
	for _, c := range []*col[string]{&w.sEntry, &w.sKind, &w.sParty} {
		c.grow(ledger)
	}
	w.sAmount.grow(ledger)
	w.sSign.grow(ledger)
}

// line writes a line change's entries in entry id order, each entry's
// retraction before its new version.
func (w *lineRows) line(c *projections.LineChange) {
	groups := w.groups[:0]
	for g := range projections.ByEntry(c.Retract) {
		groups = append(groups, signedEntry{g, -1})
	}
	for g := range projections.ByEntry(c.Add) {
		groups = append(groups, signedEntry{g, 1})
	}
	// A line has a few entries: an insertion sort, stable.
	for i := 1; i < len(groups); i++ {
		for j := i; j > 0 && groups[j].rows[0].EntryID < groups[j-1].rows[0].EntryID; j-- {
			groups[j], groups[j-1] = groups[j-1], groups[j]
		}
	}
	for _, g := range groups {
		w.entry(g.rows, g.sign)
	}
	clear(groups)
	w.groups = groups[:0]
}

// signedEntry is one entry's ledger rows (its shares) and whether they
// are added (1) or retracted (-1).
type signedEntry struct {
	rows []projections.LedgerRow
	sign int8
}

// entry records one entry with the sign (1 add, -1 retract) for the entry
// tables, writes its shares (the shares table is ordered by batch alone,
// so any order within a batch is its order), and moves the rollup by them.
func (w *lineRows) entry(rows []projections.LedgerRow, sign int8) {
	r := rows[0]
	var amount domain.Fen
	attributed := uint8(1)
	for i := range rows {
		x := &rows[i]
		amount += x.AmountFen
		if x.PartyKind == domain.PartyUnattributed {
			attributed = 0
		}
		w.sEntry.add(x.EntryID)
		w.sKind.add(string(x.PartyKind))
		w.sParty.add(x.PartyID)
		w.sAmount.add(int64(x.AmountFen))
		w.sSign.add(sign)
	}
	w.rollup.AddEntry(rows, domain.Fen(sign))
	w.ents = append(w.ents, entryRef{rows: rows, sign: sign, attributed: attributed, amount: amount,
		day: chinaDay(r.At)})
	if sign < 0 {
		w.rPlatform.add(r.Platform)
		w.rOrder.add(r.OrderID)
		w.rLine.add(r.LineID)
		w.rEntry.add(r.EntryID)
	}
}

// chinaDay is t's China-time day as a number: in the order of domain.Day's
// strings for the years 1000 to 9999.
func chinaDay(t time.Time) int64 {
	const offset, day = 8 * 60 * 60, 24 * 60 * 60 // China time is UTC+8 all year
	s := t.Unix() + offset
	if s < 0 {
		return (s+1)/day - 1
	}
	return s / day
}

// entryColumns writes the entries to their columns by day, in line order
// within a day (the entries table's sort key): a counting sort, since a
// batch's entries span a few days.
func (w *lineRows) entryColumns() {
	if len(w.ents) == 0 {
		return
	}
	lo, hi := w.ents[0].day, w.ents[0].day
	for _, e := range w.ents {
		lo, hi = min(lo, e.day), max(hi, e.day)
	}
	var order []int
	if span := hi - lo + 1; span <= int64(4*len(w.ents)+1024) {
		at := make([]int, span+1)
		for _, e := range w.ents {
			at[e.day-lo+1]++
		}
		for d := 1; d < len(at); d++ {
			at[d] += at[d-1]
		}
		order = make([]int, len(w.ents))
		for i, e := range w.ents {
			order[at[e.day-lo]] = i
			at[e.day-lo]++
		}
	} else { // entries years apart: not worth a count per day
		order = make([]int, len(w.ents))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(w.ents[a].day, w.ents[b].day) })
	}
	for _, i := range order {
		e := &w.ents[i]
		r := &e.rows[0]
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
		w.eAttributed.add(e.attributed)
		w.eAmount.add(int64(e.amount))
		w.eSign.add(e.sign)
	}
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
