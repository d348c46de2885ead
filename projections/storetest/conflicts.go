package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// conflictCase is a generated data set followed by corrected versions of
// some of its facts (same source ids, other content) and exact repeats,
// and the conflicts they must give.
type conflictCase struct {
	ds   Dataset
	feed Feed
	want map[string]wantConflict // by kind and key
}

type wantConflict struct {
	kind                 domain.ConflictKind
	fields               []string
	keptFen, rejectedFen domain.Fen
	position             string
}

// newConflictCase corrects, after the data set: a line's payment amount, a
// refund's amount, the same refund claimed on another line of its order,
// and an income record's amount — each once more later (the same conflict)
// — and repeats the original payment and income record unchanged (not
// conflicts).
func newConflictCase(t *testing.T) conflictCase {
	t.Helper()
	ds := Generate(5, 600)
	paid := map[string]*domain.OrderPaid{}
	var income *domain.IncomeRecorded
	var refund *domain.RefundSucceeded
	for _, e := range ds.Events {
		switch e := e.(type) {
		case *domain.OrderPaid:
			paid[e.OrderID] = e
		case *domain.IncomeRecorded:
			if income == nil {
				income = e
			}
		}
	}
	for _, e := range ds.Events {
		if r, ok := e.(*domain.RefundSucceeded); ok && refund == nil && len(paid[r.OrderID].Lines) > 1 {
			refund = r
		}
	}
	if refund == nil || income == nil {
		t.Fatal("the generated data set has no refund of a multi-line order or no income record")
	}
	pay := paid[refund.OrderID]
	payFixed := *pay
	payFixed.Lines = append([]domain.PaidLine(nil), pay.Lines...)
	payFixed.Lines[0].AmountFen += 100
	refundFixed := *refund
	refundFixed.AmountFen++
	refundMoved := *refund
	for _, l := range pay.Lines {
		if l.LineID != refund.LineID {
			refundMoved.LineID = l.LineID
			break
		}
	}
	incomeFixed := *income
	incomeFixed.AmountFen += 10000

	n := len(ds.Events)
	feed := ds.Feed
	feed.Events = append(append([]domain.Event(nil), ds.Events...),
		&payFixed, pay, &refundFixed, &refundMoved, &incomeFixed, income, &payFixed, &incomeFixed, &refundFixed)
	pos := func(i int) string { return fmt.Sprintf("0/%d", n+i) }
	key := func(kind domain.ConflictKind, platform, order, line string) string {
		return string(kind) + " " + platform + "/" + order + "/" + line
	}
	return conflictCase{ds: ds, feed: feed, want: map[string]wantConflict{
		key(domain.ConflictPayment, pay.Platform, pay.OrderID, pay.Lines[0].LineID): {domain.ConflictPayment, []string{"amount_fen"},
			pay.Lines[0].AmountFen, payFixed.Lines[0].AmountFen, pos(1)},
		key(domain.ConflictRefund, refund.Platform, refund.OrderID, refund.LineID): {domain.ConflictRefund, []string{"amount_fen"},
			refund.AmountFen, refundFixed.AmountFen, pos(3)},
		key(domain.ConflictRefund, refund.Platform, refund.OrderID, refundMoved.LineID): {domain.ConflictRefund, []string{"line_id"},
			refund.AmountFen, refund.AmountFen, pos(4)},
		"income " + income.EnterpriseID + "/" + income.Reference + "/" + income.HouseholdID: {domain.ConflictIncome, []string{"amount_fen"},
			income.AmountFen, incomeFixed.AmountFen, pos(5)},
	}}
}

// testConflicts projects the case: the figures are the data set's (the
// first version counts), the conflicts are listed once each with both
// versions, delivering everything again adds none, and a rebuild (a new
// store from the same log) lists the same.
func testConflicts(t *testing.T, open Opener, maxBatch int, pipeline bool) {
	c := newConflictCase(t)
	c.feed.Pipeline = pipeline
	store := open(t)
	defer store.Close()
	c.feed.Project(t, store, maxBatch)
	CheckReference(t, queries(store), c.ds.Want)
	first := listConflicts(t, store)
	checkConflicts(t, first, c.want)

	// The corrections delivered again, after everything: the same conflicts.
	again := c.feed
	again.Events = append(append([]domain.Event(nil), c.feed.Events...), c.feed.Events[len(c.ds.Events):]...)
	again.Project(t, store, maxBatch)
	if got := listConflicts(t, store); conflictsJSON(got) != conflictsJSON(first) {
		t.Errorf("after the corrections were delivered again, conflicts\n%s\nwant as before\n%s", conflictsJSON(got), conflictsJSON(first))
	}
	CheckReference(t, queries(store), c.ds.Want)

	rebuilt := open(t)
	defer rebuilt.Close()
	again.Project(t, rebuilt, maxBatch)
	got := listConflicts(t, rebuilt)
	if withoutDetectedAt(got) != withoutDetectedAt(first) {
		t.Errorf("rebuilt from the same log, conflicts\n%s\nwant\n%s", conflictsJSON(got), conflictsJSON(first))
	}
}

func checkConflicts(t *testing.T, got []domain.Conflict, want map[string]wantConflict) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d conflicts, want %d:\n%s", len(got), len(want), conflictsJSON(got))
	}
	for _, c := range got {
		w, ok := want[string(c.Kind)+" "+c.Key]
		if !ok {
			t.Errorf("unexpected conflict %s", conflictsJSON([]domain.Conflict{c}))
			continue
		}
		if c.Kind != w.kind || !reflect.DeepEqual(c.Fields, w.fields) || c.Rejected.LogPosition != w.position || c.DetectedAt.IsZero() {
			t.Errorf("conflict %s: %s on %v at %s, detected %s; want %s on %v at %s", c.Key, c.Kind, c.Fields,
				c.Rejected.LogPosition, c.DetectedAt, w.kind, w.fields, w.position)
		}
		if k, r := factFen(t, c.Kept.Fact), factFen(t, c.Rejected.Fact); k != w.keptFen || r != w.rejectedFen {
			t.Errorf("conflict %s: kept %d fen, rejected %d fen; want %d and %d", c.Key, k, r, w.keptFen, w.rejectedFen)
		}
	}
}

// factFen reads the amount of a version's fact (every kind has amount_fen).
func factFen(t *testing.T, fact json.RawMessage) domain.Fen {
	t.Helper()
	var f struct {
		AmountFen *domain.Fen `json:"amount_fen"`
	}
	if err := json.Unmarshal(fact, &f); err != nil || f.AmountFen == nil {
		t.Fatalf("fact %s has no amount_fen (%v)", fact, err)
	}
	return *f.AmountFen
}

func listConflicts(t *testing.T, store projections.Store) []domain.Conflict {
	t.Helper()
	page, err := queries(store).Conflicts(context.Background(), projections.Paging{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(page.Items) {
		t.Errorf("conflicts: total %d, %d listed", page.Total, len(page.Items))
	}
	return page.Items
}

// checkNoConflicts: duplicates, redeliveries and shuffles are not conflicts.
func checkNoConflicts(t *testing.T, store projections.Store) {
	t.Helper()
	if got := listConflicts(t, store); len(got) != 0 {
		t.Errorf("%d conflicts where every repeat is identical:\n%s", len(got), conflictsJSON(got))
	}
}

// withoutDetectedAt is the conflicts in id order without the time the
// projector found them, which a rebuild moves.
func withoutDetectedAt(cs []domain.Conflict) string {
	out := make([]domain.Conflict, len(cs))
	for i, c := range cs {
		c.DetectedAt = time.Time{}
		out[i] = c
	}
	slices.SortFunc(out, func(a, b domain.Conflict) int { return strings.Compare(a.ID, b.ID) })
	return conflictsJSON(out)
}

func conflictsJSON(cs []domain.Conflict) string {
	b, _ := json.MarshalIndent(cs, "", "  ")
	return string(b)
}
