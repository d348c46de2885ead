// Package storetest is the conformance suite every read-model store (SQLite,
// ClickHouse) must pass: the same events through the real Projector must give
// the same figures through Queries — the samples' figures, and a generated
// data set's figures computed independently — however they are delivered.
package storetest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
	"github.com/loquat-dev/loquat/projections"
)

// Opener returns a new, empty store; the suite closes it.
type Opener func(t *testing.T) projections.Store

// Run runs the whole suite against the store.
func Run(t *testing.T, open Opener) {
	t.Run("Samples", func(t *testing.T) { testSamples(t, open) })
	t.Run("GeneratedDataSet", func(t *testing.T) { testGenerated(t, open, 1, 3000, 0, false) })
	t.Run("GeneratedDataSetInSmallBatches", func(t *testing.T) { testGenerated(t, open, 2, 1000, 7, false) })
	t.Run("GeneratedDataSetPipelined", func(t *testing.T) { testGenerated(t, open, 6, 1000, 7, true) })
	t.Run("RedeliveryAndRestart", func(t *testing.T) { testRedelivery(t, open) })
	t.Run("FailedCommits", func(t *testing.T) { testFailedCommits(t, open, false) })
	t.Run("FailedCommitsPipelined", func(t *testing.T) { testFailedCommits(t, open, true) })
	t.Run("Conflicts", func(t *testing.T) { testConflicts(t, open, 0, false) })
	t.Run("ConflictsInSmallBatchesPipelined", func(t *testing.T) { testConflicts(t, open, 7, true) })
	t.Run("Corrections", func(t *testing.T) { testCorrections(t, open, 0, false) })
	t.Run("CorrectionsInSmallBatchesPipelined", func(t *testing.T) { testCorrections(t, open, 3, true) })
	t.Run("ConflictResolution", func(t *testing.T) { testConflictResolution(t, open, 0) })
	t.Run("NewYearsLineLeavesEarlierAnswers", func(t *testing.T) { testNewYearsLine(t, open) })
	t.Run("PerCapitaAcrossYearBoundary", func(t *testing.T) { testYearBoundary(t, open) })
	t.Run("Scopes", func(t *testing.T) { testScopes(t, open) })
	t.Run("Statements", func(t *testing.T) { testStatements(t, open) })
	t.Run("Monitoring", func(t *testing.T) { testMonitoring(t, open) })
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("LivestreamList", func(t *testing.T) { testLivestreamList(t, open) })
}

func queries(store projections.Store) *projections.Queries { return &projections.Queries{Store: store} }

func testSamples(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	reg, events, err := sampledata.Events()
	if err != nil {
		t.Fatal(err)
	}
	Feed{Registry: reg, Events: events}.Project(t, store, 0)
	checkNoConflicts(t, store)
	q := queries(store)
	ctx := context.Background()
	ov, err := q.Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	if ov.GMVFen != sampledata.WantGMV || ov.RefundsFen != sampledata.WantRefunds || ov.NetFen != sampledata.WantNet || ov.HouseholdsReached != sampledata.WantReached {
		t.Errorf("samples overview: %s, %d reached; want GMV %d refunds %d net %d, %d reached",
			sampledata.Describe(ov), ov.HouseholdsReached, sampledata.WantGMV, sampledata.WantRefunds, sampledata.WantNet, sampledata.WantReached)
	}
	for _, d := range ov.ByDay {
		if want, ok := sampledata.WantByDay[d.Date]; !ok || want != d.Money {
			t.Errorf("samples day %s: %+v, want %+v", d.Date, d.Money, want)
		}
	}
	for id, want := range sampledata.WantHouseholds {
		h, err := q.Household(ctx, id, projections.Period{})
		if err != nil {
			t.Fatal(err)
		}
		if h.AttributedSalesFen != want || h.RecordedIncomeFen != sampledata.WantRecordedIncome[id] {
			t.Errorf("household %s: sales %d income %d fen, want %d and %d", id, h.AttributedSalesFen, h.RecordedIncomeFen, want, sampledata.WantRecordedIncome[id])
		}
	}
	for id, want := range sampledata.WantCollectives {
		v, err := q.Village(ctx, id, projections.Period{})
		if err != nil {
			t.Fatal(err)
		}
		if v.CollectiveIncomeFen != want {
			t.Errorf("village %s collective: %d fen, want %d", id, v.CollectiveIncomeFen, want)
		}
	}
	for id, want := range sampledata.WantEnterprises {
		e, err := q.Enterprise(ctx, id, projections.Period{})
		if err != nil {
			t.Fatal(err)
		}
		if e.EnterpriseShareFen != want {
			t.Errorf("enterprise %s share: %d fen, want %d", id, e.EnterpriseShareFen, want)
		}
	}
}

func testGenerated(t *testing.T, open Opener, seed uint64, orders, maxBatch int, pipeline bool) {
	store := open(t)
	defer store.Close()
	ds := GenerateOverTime(seed, orders)
	ds.Pipeline = pipeline
	ds.Project(t, store, maxBatch)
	CheckReference(t, queries(store), ds.Want)
	checkNoConflicts(t, store)
}

// testRedelivery projects half the events, then everything again with a new
// projector (a restart: the first half comes again and must be skipped),
// then everything a third time.
func testRedelivery(t *testing.T, open Opener) {
	store := open(t)
	defer store.Close()
	ds := Generate(3, 1500)
	half := ds.Feed
	half.Events = half.Events[:len(half.Events)/2]
	half.Project(t, store, 100)
	ds.Project(t, store, 250)
	ds.Project(t, store, 0)
	CheckReference(t, queries(store), ds.Want)
	checkNoConflicts(t, store)
}

// failingStore fails some commits: every fifth is refused, and every fifth
// lands in the store but reports an error (the answer lost on the way).
type failingStore struct {
	projections.Store
	commits atomic.Int64
	failed  atomic.Int64
}

// NeedsOrderChanges and Batching pass the wrapped store's on: embedding
// the Store interface hides the optional capabilities of the store inside
// it, and the suite's stores are to be projected as they would be.
func (s *failingStore) NeedsOrderChanges() bool {
	n, ok := s.Store.(projections.OrderChangesNeeder)
	return ok && n.NeedsOrderChanges()
}

func (s *failingStore) Batching() projections.Batching {
	if p, ok := s.Store.(projections.BatchingPreferrer); ok {
		return p.Batching()
	}
	return projections.Batching{}
}

func (s *failingStore) Commit(ctx context.Context, b *projections.Batch) error {
	switch s.commits.Add(1) % 5 {
	case 2:
		s.failed.Add(1)
		return errors.New("storetest: commit refused")
	case 4:
		if err := s.Store.Commit(ctx, b); err != nil {
			return err
		}
		s.failed.Add(1)
		return errors.New("storetest: commit landed, but its answer was lost")
	}
	return s.Store.Commit(ctx, b)
}

// testFailedCommits projects in small batches while commits fail, cleanly
// or after landing: every failed batch (and, pipelined, the one prepared on
// top of it) is prepared again, and nothing is lost or counted twice.
func testFailedCommits(t *testing.T, open Opener, pipeline bool) {
	store := &failingStore{Store: open(t)}
	defer store.Close()
	ds := Generate(4, 800)
	ds.RetryBackoff = time.Millisecond
	ds.Pipeline = pipeline
	ds.Project(t, store, 40)
	if store.failed.Load() < 10 {
		t.Fatalf("only %d of %d commits failed; the test needs more", store.failed.Load(), store.commits.Load())
	}
	CheckReference(t, queries(store), ds.Want)
	checkNoConflicts(t, store)
}

// CheckReference compares a store's answers with a dataset's reference.
func CheckReference(t testing.TB, q *projections.Queries, want Reference) {
	t.Helper()
	ctx := context.Background()
	ov, err := q.Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	if ov.GMVFen != want.GMV || ov.RefundsFen != want.Refunds || ov.UnattributedFen != want.Unattributed ||
		ov.Orders != want.Orders || ov.RefundedOrders != want.RefundedOrders {
		t.Errorf("overview: GMV %d refunds %d unattributed %d fen, %d orders, %d refunded; want %d %d %d, %d, %d",
			ov.GMVFen, ov.RefundsFen, ov.UnattributedFen, ov.Orders, ov.RefundedOrders,
			want.GMV, want.Refunds, want.Unattributed, want.Orders, want.RefundedOrders)
	}
	days := map[string][2]domain.Fen{}
	for _, d := range ov.ByDay {
		days[d.Date] = [2]domain.Fen{d.GMVFen, d.RefundsFen}
	}
	for day, w := range want.ByDay {
		if days[day] != w {
			t.Errorf("day %s: GMV, refunds %v fen, want %v", day, days[day], w)
		}
	}
	hh, err := q.Households(ctx, projections.HouseholdQuery{Paging: projections.Paging{Limit: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	reached := int64(0)
	for _, h := range hh.Items {
		if h.AttributedSalesFen != want.Households[h.HouseholdID] || h.RecordedIncomeFen != want.Income[h.HouseholdID] {
			t.Errorf("household %s: sales %d income %d fen, want %d and %d", h.HouseholdID, h.AttributedSalesFen, h.RecordedIncomeFen,
				want.Households[h.HouseholdID], want.Income[h.HouseholdID])
		}
		if want.IncomeByCategory != nil {
			c := want.IncomeByCategory[h.HouseholdID]
			c.OperatingFen += want.Households[h.HouseholdID]
			if h.IncomeByCategory != c {
				t.Errorf("household %s: income by category %+v, want %+v", h.HouseholdID, h.IncomeByCategory, c)
			}
		}
		if want.Households[h.HouseholdID] > 0 {
			reached++
		}
	}
	if ov.HouseholdsReached != reached {
		t.Errorf("households reached %d, want %d", ov.HouseholdsReached, reached)
	}
	vv, err := q.Villages(ctx, projections.Period{}, projections.Paging{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vv.Items {
		if v.CollectiveIncomeFen != want.Collectives[v.VillageID] {
			t.Errorf("village %s collective %d fen, want %d", v.VillageID, v.CollectiveIncomeFen, want.Collectives[v.VillageID])
		}
	}
	ee, err := q.Enterprises(ctx, projections.Period{}, projections.Paging{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ee.Items {
		if e.EnterpriseShareFen != want.EnterpriseShares[e.EnterpriseID] || e.NetFen != want.EnterpriseGMV[e.EnterpriseID] {
			t.Errorf("enterprise %s share %d net %d fen, want %d and %d", e.EnterpriseID, e.EnterpriseShareFen, e.NetFen,
				want.EnterpriseShares[e.EnterpriseID], want.EnterpriseGMV[e.EnterpriseID])
		}
	}
	for _, p := range []projections.Period{{}, {From: "2021-01-03", To: "2021-01-03"}, {From: "2021-01-05", To: "2021-01-08"}, {To: "2021-01-02"}, {From: "2021-01-09"}} {
		CheckSumIdentity(t, q, p)
	}
	if want.Registry != nil {
		CheckHouseholdIncome(t, q, want.Registry, randomPeriods(len(hh.Items)))
	}
}

// CheckSumIdentity asserts Σ households + Σ collectives + Σ enterprise shares
// + unattributed = net for the period.
func CheckSumIdentity(t testing.TB, q *projections.Queries, p projections.Period) {
	t.Helper()
	ctx := context.Background()
	ov, err := q.Overview(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	all := projections.Paging{Limit: 10000}
	hh, err := q.Households(ctx, projections.HouseholdQuery{Period: p, Paging: all})
	if err != nil {
		t.Fatal(err)
	}
	vv, err := q.Villages(ctx, p, all)
	if err != nil {
		t.Fatal(err)
	}
	ee, err := q.Enterprises(ctx, p, all)
	if err != nil {
		t.Fatal(err)
	}
	sum := ov.UnattributedFen
	for _, h := range hh.Items {
		sum += h.AttributedSalesFen
	}
	for _, v := range vv.Items {
		sum += v.CollectiveIncomeFen
	}
	for _, e := range ee.Items {
		sum += e.EnterpriseShareFen
	}
	if sum != ov.NetFen {
		t.Errorf("period %+v: households + collectives + enterprises + unattributed = %d fen, net %d", p, sum, ov.NetFen)
	}
}
