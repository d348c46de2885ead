package clickhouse_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/clickhouse"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestAwkwardStrings stores ids and names that a careless literal would
// break or a placeholder binder would rewrite, and reads them back. (Not
// invalid UTF-8: the event log's JSON already replaces it.)
func TestAwkwardStrings(t *testing.T) {
	s, _ := openStore(t)
	defer s.Close()
	ctx := context.Background()
	awkward := []string{`o'1`, `o\'2`, `o\\3`, `o?4`, `o$1`, "o\n5", "o\x006", `o` + "`" + `8`, `$1 ? '`}
	at := time.Date(2021, 1, 3, 10, 0, 0, 0, domain.ChinaTime)
	var events []domain.Event
	for i, id := range awkward {
		events = append(events, &domain.OrderPaid{Platform: "douyin", OrderID: id, CreatedAt: at, PaidAt: at.Add(time.Minute), BuyerRef: id,
			Lines: []domain.PaidLine{{LineID: id, SKUID: "sku" + id, ProductName: "枇杷 " + id, Quantity: 1, AmountFen: domain.Fen(100 + i),
				Livestream: &domain.LivestreamRef{RoomID: "room" + id, AnchorName: "anchor " + id}}}})
	}
	reg := []domain.Event{&domain.DistrictDefined{District: domain.District{ID: "D'1", Name: `dist\rict "x"`, MonitoringLineFen: 1}}}
	storetest.Feed{Registry: reg, Events: events}.Project(t, s, 3)

	var refs []projections.OrderRef
	for _, id := range awkward {
		refs = append(refs, projections.OrderRef{Platform: "douyin", OrderID: id})
	}
	states, err := s.LoadLines(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, st := range states {
		if st.Key.LineID != st.Key.OrderID || st.Payment == nil {
			t.Errorf("line %q of order %q: %+v", st.Key.LineID, st.Key.OrderID, st)
		}
		got[st.Key.OrderID] = true
	}
	for _, id := range awkward {
		if !got[id] {
			t.Errorf("order %q not loaded", id)
		}
	}
	regGot, err := s.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if regGot.District.ID != "D'1" || regGot.District.Name != `dist\rict "x"` {
		t.Errorf("district %+v", regGot.District)
	}
	q := &projections.Queries{Store: s, Now: now}
	for _, id := range awkward {
		ls, err := q.Livestream(ctx, "douyin:room"+id)
		if err != nil {
			t.Errorf("livestream of %q: %v", id, err)
			continue
		}
		if ls.Orders != 1 || ls.AnchorName != "anchor "+id {
			t.Errorf("livestream of %q: %d orders, anchor %q", id, ls.Orders, ls.AnchorName)
		}
	}
	un, err := q.Unattributed(ctx, projections.Period{}, projections.Paging{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if un.Total != len(awkward) {
		t.Errorf("%d unattributed SKUs, want %d", un.Total, len(awkward))
	}
}

// TestLongLists asks LoadLines and KnownIncome about more orders than the
// server's default max_query_size (256 KiB) takes as literals.
func TestLongLists(t *testing.T) {
	s, _ := openStore(t)
	defer s.Close()
	ctx := context.Background()
	ds := storetest.Generate(61, 300)
	ds.Project(t, s, 0)
	pad := strings.Repeat("x", 40)
	var refs []projections.OrderRef
	var ids []string
	for i := range 20000 {
		refs = append(refs, projections.OrderRef{Platform: "jd", OrderID: fmt.Sprintf("%s-%d", pad, i)})
		ids = append(ids, fmt.Sprintf("%s-%d", pad, i))
	}
	var want int
	for _, e := range ds.Events {
		if p, ok := e.(*domain.OrderPaid); ok && p.Platform == "jd" {
			refs = append(refs, projections.OrderRef{Platform: p.Platform, OrderID: p.OrderID})
		}
		if in, ok := e.(*domain.IncomeRecorded); ok {
			ids = append(ids, in.ID())
			want++
		}
	}
	states, err := s.LoadLines(ctx, refs)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) == 0 {
		t.Error("no line loaded")
	}
	known, err := s.KnownIncome(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) == 0 || len(known) > want {
		t.Errorf("%d income records known, want 1..%d", len(known), want)
	}
}

// TestSplitInserts commits a batch's rows for one table in several
// inserts (MaxInsertRows far below them) and in several blocks per insert:
// the figures are exact all the same.
func TestSplitInserts(t *testing.T) {
	for _, c := range []struct {
		name                     string
		maxInsertRows, blockRows int // 0: the default
		seed                     uint64
	}{
		{"Inserts", 37, 0, 62},
		{"BlocksAndInserts", 130, 50, 63},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.blockRows > 0 {
				defer clickhouse.SetInsertBlockRows(c.blockRows)()
			}
			dsn := testDSN(t)
			s := mustOpen(t, clickhouse.Config{DSN: dsn, Database: testDatabase(t, dsn), MaxInsertRows: c.maxInsertRows})
			defer s.Close()
			ds := storetest.Generate(c.seed, 1000)
			ds.Project(t, s, 1000)
			storetest.CheckReference(t, &projections.Queries{Store: s, Now: now}, ds.Want)
		})
	}
}

// TestClosed checks Close is safe twice and every call after it fails.
func TestClosed(t *testing.T) {
	s, _ := openStore(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if err := s.Ping(ctx); err != clickhouse.ErrClosed {
		t.Errorf("Ping after Close: %v", err)
	}
	if _, err := s.Sales(ctx, projections.SalesQuery{}); err == nil {
		t.Error("Sales after Close did not fail")
	}
	if err := s.Commit(ctx, &projections.Batch{Consumer: "projector"}); err == nil {
		t.Error("Commit after Close did not fail")
	}
}
