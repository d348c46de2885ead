package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// storedLine is a line state as the lines table keeps it (the SQLite
// store's format): the listing that attributes the line is a reference into
// listing_snapshots, since thousands of lines share one listing.
type storedLine struct {
	Payment *domain.LinePayment `json:"p,omitempty"`
	Refunds []domain.LineRefund `json:"r,omitempty"`
	Listing string              `json:"l,omitempty"`
}

// snapshots caches listing snapshots by content hash. Safe for concurrent use.
type snapshots struct {
	mu     sync.Mutex
	byHash map[string]*domain.Listing
	raw    map[string]string
	stored map[string]bool // hashes known to be committed in listing_snapshots
}

func newSnapshots() *snapshots {
	return &snapshots{byHash: map[string]*domain.Listing{}, raw: map[string]string{}, stored: map[string]bool{}}
}

// hashOf returns a listing's content hash, remembering its JSON.
func (c *snapshots) hashOf(l *domain.Listing) (string, error) {
	raw, err := json.Marshal(l)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:12])
	c.mu.Lock()
	if _, ok := c.raw[hash]; !ok {
		cp := *l
		c.byHash[hash], c.raw[hash] = &cp, string(raw)
	}
	c.mu.Unlock()
	return hash, nil
}

func (c *snapshots) isStored(hash string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stored[hash]
}

// markStored records hashes that are committed.
func (c *snapshots) markStored(hashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hashes {
		c.stored[h] = true
	}
}

func (c *snapshots) get(hash string) (*domain.Listing, string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.byHash[hash]
	return l, c.raw[hash], ok
}

func (c *snapshots) put(hash, raw string) error {
	l := &domain.Listing{}
	if err := json.Unmarshal([]byte(raw), l); err != nil {
		return fmt.Errorf("listing snapshot %s: %w", hash, err)
	}
	c.mu.Lock()
	c.byHash[hash], c.raw[hash], c.stored[hash] = l, raw, true
	c.mu.Unlock()
	return nil
}

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
// orders, in one query.
func (s *Store) LoadLines(ctx context.Context, orders []projections.OrderRef) ([]domain.LineState, error) {
	if len(orders) == 0 {
		return nil, nil
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("load lines: %w", err)
	}
	refs := inList(len(orders), func(i int) string {
		return "(" + lit(orders[i].Platform) + "," + lit(orders[i].OrderID) + ")"
	})
	q := `SELECT platform, order_id, line_id, argMax(state, batch) FROM ` + s.t("lines") +
		` WHERE (platform, order_id) IN ` + refs + ` AND ` + vis +
		` GROUP BY platform, order_id, line_id`
	type row struct {
		key    domain.LineKey
		stored storedLine
	}
	var rows []row
	missing := map[string]bool{}
	err = s.query(bigQuery(ctx, q, len(orders)), q, func(r driver.Rows) error {
		var x row
		var raw string
		if err := r.Scan(&x.key.Platform, &x.key.OrderID, &x.key.LineID, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(raw), &x.stored); err != nil {
			return fmt.Errorf("line %v: %w", x.key, err)
		}
		if h := x.stored.Listing; h != "" {
			if _, _, ok := s.snapshots.get(h); !ok {
				missing[h] = true
			}
		}
		rows = append(rows, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load lines: %w", err)
	}
	if err := s.loadSnapshots(ctx, vis, missing); err != nil {
		return nil, fmt.Errorf("load lines: %w", err)
	}
	out := make([]domain.LineState, 0, len(rows))
	for _, x := range rows {
		st := domain.LineState{Key: x.key, Payment: x.stored.Payment, Refunds: x.stored.Refunds}
		if h := x.stored.Listing; h != "" {
			l, _, ok := s.snapshots.get(h)
			if !ok {
				return nil, fmt.Errorf("load lines: line %v: listing snapshot %s is missing", x.key, h)
			}
			cp := *l
			st.Listing = &cp
		}
		out = append(out, st)
	}
	return out, nil
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
		return s.snapshots.put(hash, raw)
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

// KnownIncome reports which income event ids are committed.
func (s *Store) KnownIncome(ctx context.Context, ids []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	vis, err := s.visible(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up income: %w", err)
	}
	q := `SELECT DISTINCT event_id FROM ` + s.t("income") + ` WHERE event_id IN ` +
		inList(len(ids), func(i int) string { return lit(ids[i]) }) + ` AND ` + vis
	err = s.query(bigQuery(ctx, q, len(ids)), q, func(r driver.Rows) error {
		var id string
		if err := r.Scan(&id); err != nil {
			return err
		}
		known[id] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up income: %w", err)
	}
	return known, nil
}
