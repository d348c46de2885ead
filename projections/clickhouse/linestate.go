package clickhouse

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// inList renders values as a literal list for IN (…).
func inList(n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item(i))
	}
	b.WriteByte(')')
	return b.String()
}

// bigQuery raises the parser's limits for a query with a long IN list of
// items: max_query_size (256 KiB by default) and max_ast_elements (50000).
// One query per call, however long the list, is cheaper than many.
func bigQuery(ctx context.Context, query string, items int) context.Context {
	if len(query) < 200<<10 && items < 5000 {
		return ctx
	}
	return withSettings(ctx, map[string]any{
		"max_query_size":            len(query) + 1<<20,
		"max_ast_elements":          8*items + 50000,
		"max_expanded_ast_elements": 8*items + 500000,
	})
}

// LoadLines returns the latest committed state of every line of the given
// orders: from the line cache, and for the orders it does not hold (when it
// is not complete) from ClickHouse, in one query.
func (s *Store) LoadLines(ctx context.Context, orders []projections.OrderRef) ([]domain.LineState, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	if err := s.open(); err != nil {
		return nil, err
	}
	vis := ""
	visible := func() (string, error) {
		if vis != "" {
			return vis, nil
		}
		v, err := s.visible(ctx)
		vis = v
		return v, err
	}
	if !s.lines.isPrimed() {
		if err := s.primeLines(ctx); err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
	}
	out, ask, hashes := s.lines.lookup(orders)
	missing := map[string]bool{}
	for _, h := range hashes {
		if _, _, ok := s.snapshots.Get(h); !ok {
			missing[h] = true
		}
	}
	if len(ask) > 0 {
		v, err := visible()
		if err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
		asked, err := s.queryLines(ctx, v, ask, missing)
		if err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
		out = append(out, asked...)
	}
	if len(missing) > 0 {
		v, err := visible()
		if err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
		if err := s.loadSnapshots(ctx, v, missing); err != nil {
			return nil, fmt.Errorf("load lines: %w", err)
		}
	}
	for i := range out {
		if h := out[i].listingHash; h != "" {
			l, _, ok := s.snapshots.Get(h)
			if !ok {
				return nil, fmt.Errorf("load lines: line %v: listing snapshot %s is missing", out[i].Key, h)
			}
			cp := *l
			out[i].Listing = &cp
		}
	}
	states := make([]domain.LineState, len(out))
	for i := range out {
		states[i] = out[i].LineState
	}
	return states, nil
}

// loadedLine is a loaded line state whose listing is still a snapshot hash.
type loadedLine struct {
	domain.LineState
	listingHash string
}

// queryLines reads the latest committed state of the orders' lines from
// ClickHouse, adding the snapshot hashes the cache lacks to missing.
func (s *Store) queryLines(ctx context.Context, vis string, orders []projections.OrderRef, missing map[string]bool) ([]loadedLine, error) {
	refs := inList(len(orders), func(i int) string {
		return "(" + lit(orders[i].Platform) + "," + lit(orders[i].OrderID) + ")"
	})
	q := `SELECT platform, order_id, line_id, argMax(state, batch) FROM ` + s.t("lines") +
		` WHERE (platform, order_id) IN ` + refs + ` AND ` + vis +
		` GROUP BY platform, order_id, line_id`
	var out []loadedLine
	err := s.query(bigQuery(ctx, q, len(orders)), q, func(r driver.Rows) error {
		k, st, err := scanLine(r)
		if err != nil {
			return err
		}
		if h := st.Listing; h != "" {
			if _, _, ok := s.snapshots.Get(h); !ok {
				missing[h] = true
			}
		}
		out = append(out, loaded(st, k))
		return nil
	})
	return out, err
}

// loadSnapshots reads listing snapshots into the cache.
func (s *Store) loadSnapshots(ctx context.Context, vis string, hashes map[string]bool) error {
	if len(hashes) == 0 {
		return nil
	}
	list := make([]string, 0, len(hashes))
	for h := range hashes {
		list = append(list, lit(h))
	}
	return s.query(ctx, `SELECT hash, any(listing) FROM `+s.t("listing_snapshots")+` WHERE hash IN (`+strings.Join(list, ",")+
		`) AND `+vis+` GROUP BY hash`, func(r driver.Rows) error {
		var hash, raw string
		if err := r.Scan(&hash, &raw); err != nil {
			return err
		}
		_, err := s.snapshots.Put(hash, raw)
		return err
	})
}

// storedSnapshots returns which of the hashes are committed in listing_snapshots.
func (s *Store) storedSnapshots(ctx context.Context, hashes []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(hashes) == 0 {
		return out, nil
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, err
	}
	err = s.query(ctx, `SELECT DISTINCT hash FROM `+s.t("listing_snapshots")+` WHERE hash IN `+
		inList(len(hashes), func(i int) string { return lit(hashes[i]) })+` AND `+vis, func(r driver.Rows) error {
		var h string
		if err := r.Scan(&h); err != nil {
			return err
		}
		out[h] = true
		return nil
	})
	return out, err
}

// KnownIncome returns the committed income records among the event ids.
func (s *Store) KnownIncome(ctx context.Context, ids []string) (map[string]domain.IncomeRecorded, error) {
	known := map[string]domain.IncomeRecorded{}
	if len(ids) == 0 {
		return known, nil
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up income: %w", err)
	}
	q := `SELECT event_id, household_id, kind, amount_fen, enterprise_id, occurred_at, reference FROM ` + s.t("income") +
		` WHERE event_id IN ` + inList(len(ids), func(i int) string { return lit(ids[i]) }) + ` AND ` + vis +
		` ORDER BY batch LIMIT 1 BY event_id`
	err = s.query(bigQuery(ctx, q, len(ids)), q, func(r driver.Rows) error {
		var id string
		var in domain.IncomeRecorded
		var amount, at int64
		if err := r.Scan(&id, &in.HouseholdID, &in.Kind, &amount, &in.EnterpriseID, &at, &in.Reference); err != nil {
			return err
		}
		in.AmountFen, in.OccurredAt = domain.Fen(amount), time.Unix(at, 0).In(domain.ChinaTime)
		known[id] = in
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up income: %w", err)
	}
	return known, nil
}
