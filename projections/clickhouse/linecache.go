package clickhouse

import (
	"context"
	"fmt"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// lineCache holds the committed state of lines, so that LoadLines asks
// ClickHouse only about orders it does not hold. Reading them back costs
// the projector more than writing a batch does: a point lookup of a few
// thousand orders is a scan of the lines table's granules on the server.
//
// The cache is filled from the store's own commits, after their checkpoint
// is in (a failed commit leaves it cold, and it is primed again). While it
// is complete — every committed line is in it — an order it does not hold
// has no lines, and nothing is asked. Past max lines it drops the orders it
// took first (a livestream's orders come and go together) and is no longer
// complete: from then on it asks for the orders it does not hold.
//
// Only the projector calls LoadLines and Commit, one after the other; the
// mutex is for safety, not for concurrency.
type lineCache struct {
	mu     sync.Mutex
	max    int
	primed bool
	// complete: every committed line is in orders.
	complete bool
	orders   map[projections.OrderRef][]cachedLine
	fifo     []projections.OrderRef // orders in the order they were taken
	head     int                    // fifo[head:] are in orders
	lines    int
}

func newLineCache(max int) *lineCache {
	return &lineCache{max: max, orders: map[projections.OrderRef][]cachedLine{}}
}

// cachedLine is a line's committed state. An order's lines are a small
// slice, not a map: an order has a few lines, and a map for each of tens
// of thousands of orders was most of what a commit's caching cost.
type cachedLine struct {
	id    string
	state projections.StoredLine
}

func (c *lineCache) isPrimed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.primed || c.max <= 0
}

// reset empties the cache and marks it for priming.
func (c *lineCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.primed, c.complete = false, false
	c.orders = map[projections.OrderRef][]cachedLine{}
	c.fifo, c.head, c.lines = nil, 0, 0
}

// putLocked stores a line's state; mu is held.
func (c *lineCache) putLocked(k domain.LineKey, st projections.StoredLine) {
	ref := projections.OrderRef{Platform: k.Platform, OrderID: k.OrderID}
	lines, ok := c.orders[ref]
	if !ok {
		c.fifo = append(c.fifo, ref)
	}
	for i := range lines {
		if lines[i].id == k.LineID {
			lines[i].state = st
			return
		}
	}
	c.lines++
	c.orders[ref] = append(lines, cachedLine{k.LineID, st})
}

// evictLocked drops the oldest orders until the cache holds at most max lines.
func (c *lineCache) evictLocked() {
	for c.lines > c.max && c.head < len(c.fifo) {
		ref := c.fifo[c.head]
		c.fifo[c.head] = projections.OrderRef{}
		c.head++
		c.lines -= len(c.orders[ref])
		delete(c.orders, ref)
		c.complete = false
	}
	if c.head > len(c.fifo)/2 && c.head > 1024 {
		c.fifo = append([]projections.OrderRef(nil), c.fifo[c.head:]...)
		c.head = 0
	}
}

// committed records the states a commit wrote, once its checkpoint is in.
func (c *lineCache) committed(changes []projections.LineChange, stored []projections.StoredLine) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.primed {
		return // cold: priming will read these from ClickHouse
	}
	for i, ch := range changes {
		c.putLocked(ch.State.Key, stored[i])
	}
	c.evictLocked()
}

// lookup splits orders into the states the cache holds and the orders it
// must ask ClickHouse about.
func (c *lineCache) lookup(orders []projections.OrderRef) (hits []loadedLine, ask []projections.OrderRef, snapshotsOf []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ref := range orders {
		lines, ok := c.orders[ref]
		if !ok {
			if !c.complete {
				ask = append(ask, ref)
			}
			continue
		}
		for _, l := range lines {
			hits = append(hits, loaded(l.state, domain.LineKey{Platform: ref.Platform, OrderID: ref.OrderID, LineID: l.id}))
			if l.state.Listing != "" {
				snapshotsOf = append(snapshotsOf, l.state.Listing)
			}
		}
	}
	return hits, ask, snapshotsOf
}

// loaded is a stored state as a LineState of its own (the projector changes
// what it loads), its listing still to be filled in from the snapshot hash.
func loaded(st projections.StoredLine, k domain.LineKey) loadedLine {
	out := loadedLine{LineState: domain.LineState{Key: k}, listingHash: st.Listing}
	if st.Payment != nil {
		p := *st.Payment
		out.Payment = &p
	}
	if len(st.Refunds) > 0 {
		out.Refunds = append([]domain.LineRefund(nil), st.Refunds...)
	}
	if len(st.Corrections) > 0 {
		out.Corrections = append([]domain.LineCorrection(nil), st.Corrections...)
	}
	return out
}

// scanLine scans a row of (platform, order_id, line_id, state).
func scanLine(r driver.Rows) (domain.LineKey, projections.StoredLine, error) {
	var k domain.LineKey
	var raw string
	var st projections.StoredLine
	if err := r.Scan(&k.Platform, &k.OrderID, &k.LineID, &raw); err != nil {
		return k, st, err
	}
	if err := json.Unmarshal([]byte(raw), &st); err != nil {
		return k, st, fmt.Errorf("line %v: %w", k, err)
	}
	return k, st, nil
}

// prime readies the cache on the store's first LoadLines (and after a
// failed commit): on an empty read model it is complete at once; on one of
// at most max lines it reads them all; on a larger one it stays cold and
// fills from commits.
//
// It holds writeMu: a commit in flight (the projector prepares the next
// batch while one commits) must not land between reading the committed
// batch and reading its lines.
func (s *Store) primeLines(ctx context.Context) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	c := s.lines
	c.mu.Lock()
	primed := c.primed
	c.mu.Unlock()
	if primed || c.max <= 0 {
		return nil
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return err
	}
	var n uint64
	if err := s.query(ctx, `SELECT count() FROM `+s.t("lines")+` WHERE `+vis, func(r driver.Rows) error {
		return r.Scan(&n)
	}); err != nil {
		return fmt.Errorf("count stored lines: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.orders = map[projections.OrderRef][]cachedLine{}
	c.fifo, c.head, c.lines = nil, 0, 0
	c.primed = true
	// n counts every stored version of a line, so it bounds the lines.
	if n > uint64(c.max) {
		c.complete = false
		return nil
	}
	err = s.query(ctx, `SELECT platform, order_id, line_id, argMax(state, batch) FROM `+s.t("lines")+
		` WHERE `+vis+` GROUP BY platform, order_id, line_id`, func(r driver.Rows) error {
		k, st, err := scanLine(r)
		if err != nil {
			return err
		}
		c.putLocked(k, st)
		return nil
	})
	if err != nil {
		c.primed = false
		return fmt.Errorf("read stored lines: %w", err)
	}
	c.complete = true
	return nil
}
