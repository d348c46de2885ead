package projections_test

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// orderTracking is a real SQLite store that asks for Batch.Orders and
// checks them against its own record: an order's entries before a batch
// must be what the last batch that changed it said they were after.
type orderTracking struct {
	projections.Store
	t       *testing.T
	mu      sync.Mutex
	after   map[projections.OrderRef]string
	changes int
}

func (s *orderTracking) NeedsOrderChanges() bool { return true }

func (s *orderTracking) Commit(ctx context.Context, b *projections.Batch) error {
	if err := s.Store.Commit(ctx, b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range b.Orders {
		ref := projections.OrderRef{Platform: c.Platform, OrderID: c.OrderID}
		if got, want := entryList(c.Before), s.after[ref]; got != want {
			s.t.Errorf("order %v: entries before a batch\n %s\nwant what the last change left\n %s", ref, got, want)
		}
		s.after[ref] = entryList(c.After)
		s.changes++
	}
	return nil
}

// entryList lists entries (the first row of each) by what order counts
// depend on.
func entryList(rows []projections.LedgerRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s %s %d %s/%s/%s %s; ", r.EntryID, r.Kind, r.At.Unix(), r.EnterpriseID, r.VillageID, r.LivestreamID, r.BuyerRef)
	}
	return b.String()
}

// TestOrderChangesFollowTheCommits projects a generated data set (shuffled,
// duplicated, refunds and cancellations) serially and pipelined, in small
// batches, into a store that reads Batch.Orders: every change starts where
// the order's last one ended, and the last one ends at the entries of the
// order's final lines.
func TestOrderChangesFollowTheCommits(t *testing.T) {
	ds := storetest.Generate(17, 300)
	for _, c := range []struct {
		batch    int
		pipeline bool
	}{{3, false}, {7, true}, {50, false}, {50, true}} {
		t.Run(fmt.Sprintf("batch%d/pipelined=%v", c.batch, c.pipeline), func(t *testing.T) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s := &orderTracking{Store: db, t: t, after: map[projections.OrderRef]string{}}
			feed := ds.Feed
			feed.Pipeline = c.pipeline
			feed.Project(t, s, c.batch)
			if s.changes == 0 {
				t.Fatal("no order changes")
			}

			var refs []projections.OrderRef
			for _, e := range ds.Events {
				if p, ok := e.(*domain.OrderPaid); ok {
					refs = append(refs, projections.OrderRef{Platform: p.Platform, OrderID: p.OrderID})
				}
			}
			states, err := db.LoadLines(ctx, refs)
			if err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(states, func(a, b domain.LineState) int {
				return cmp.Or(cmp.Compare(a.Key.Platform, b.Key.Platform), cmp.Compare(a.Key.OrderID, b.Key.OrderID), cmp.Compare(a.Key.LineID, b.Key.LineID))
			})
			final := map[projections.OrderRef][]projections.LedgerRow{}
			for _, st := range states {
				ref := projections.OrderRef{Platform: st.Key.Platform, OrderID: st.Key.OrderID}
				rows := projections.LedgerRows(&st)
				for i, r := range rows {
					if i == 0 || r.EntryID != rows[i-1].EntryID {
						final[ref] = append(final[ref], r)
					}
				}
			}
			for ref, rows := range final {
				if got, want := s.after[ref], entryList(rows); got != want {
					t.Errorf("order %v: the last change left\n %s\nthe final lines have\n %s", ref, got, want)
				}
			}
			for ref, after := range s.after {
				if _, ok := final[ref]; !ok && after != "" {
					t.Errorf("order %v: changes leave entries %s, the final lines none", ref, after)
				}
			}
		})
	}
}
