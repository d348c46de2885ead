package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// correctionCase is a generated data set, projected, then corrected: a
// paid line voided, another amended, an income record voided, another
// amended, a correction of a line that does not exist, and the first
// correction delivered twice.
type correctionCase struct {
	ds                      Dataset
	voided, amended         domain.LineState // as projected before the corrections
	amendedFen              domain.Fen
	voidIncome, amendIncome *domain.IncomeRecorded
	amendIncomeFen          domain.Fen
	corrections             []domain.Event
}

var correctionTime = time.Date(2026, 12, 7, 10, 0, 0, 0, domain.ChinaTime)

func correction(target domain.CorrectionTarget, action domain.CorrectionAction, fen domain.Fen, minute int) *domain.CorrectionRecorded {
	return &domain.CorrectionRecorded{Target: target, Action: action, AmountFen: fen, Operator: "admin",
		Reason: "ledger checked against the platform's statement", At: correctionTime.Add(time.Duration(minute) * time.Minute)}
}

// newCorrectionCase picks, from the data set projected into store, two
// attributed lines with households (the second without refunds, so that
// its net is its paid amount) and two income records of other households.
func newCorrectionCase(t *testing.T, store projections.Store, ds Dataset) correctionCase {
	t.Helper()
	c := correctionCase{ds: ds}
	var refs []projections.OrderRef
	for _, e := range ds.Events {
		if p, ok := e.(*domain.OrderPaid); ok {
			refs = append(refs, projections.OrderRef{Platform: p.Platform, OrderID: p.OrderID})
		}
	}
	states, err := store.LoadLines(context.Background(), refs)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st.Payment == nil || st.Listing == nil || len(st.Listing.Households) == 0 {
			continue
		}
		switch {
		case c.voided.Payment == nil && len(st.Refunds) > 0:
			c.voided = st
		case c.amended.Payment == nil && len(st.Refunds) == 0 && st.Listing.EnterpriseID != "":
			c.amended = st
		}
	}
	if c.voided.Payment == nil || c.amended.Payment == nil {
		t.Fatal("the data set has no refunded attributed line or no unrefunded one")
	}
	c.amendedFen = c.amended.Payment.AmountFen + 12345
	for _, e := range ds.Events {
		in, ok := e.(*domain.IncomeRecorded)
		if !ok {
			continue
		}
		switch {
		case c.voidIncome == nil:
			c.voidIncome = in
		case c.amendIncome == nil && in.HouseholdID != c.voidIncome.HouseholdID:
			c.amendIncome = in
		}
	}
	if c.amendIncome == nil {
		t.Fatal("the data set has no two income records of two households")
	}
	c.amendIncomeFen = c.amendIncome.AmountFen + 5000
	voidLine := correction(domain.CorrectionTarget{Line: &c.voided.Key}, domain.CorrectVoid, 0, 1)
	c.corrections = []domain.Event{
		voidLine,
		correction(domain.CorrectionTarget{Line: &c.amended.Key}, domain.CorrectAmend, c.amendedFen, 2),
		correction(domain.CorrectionTarget{IncomeID: c.voidIncome.ID()}, domain.CorrectVoid, 0, 3),
		correction(domain.CorrectionTarget{IncomeID: c.amendIncome.ID()}, domain.CorrectAmend, c.amendIncomeFen, 4),
		correction(domain.CorrectionTarget{Line: &domain.LineKey{Platform: "douyin", OrderID: "no-such-order", LineID: "1"}}, domain.CorrectVoid, 0, 5),
		voidLine, // delivered again
	}
	return c
}

// figures are the answers a correction must move: the overview, every
// household, village and enterprise, over all time.
type figures struct {
	Overview    projections.Overview
	Households  map[string]projections.HouseholdSummary
	Villages    map[string]projections.VillageSummary
	Enterprises map[string]projections.EnterpriseSummary
}

func readFigures(t *testing.T, store projections.Store) figures {
	t.Helper()
	ctx, q := context.Background(), queries(store)
	var f figures
	var err error
	if f.Overview, err = q.Overview(ctx, projections.Period{}); err != nil {
		t.Fatal(err)
	}
	f.Households, f.Villages, f.Enterprises = map[string]projections.HouseholdSummary{}, map[string]projections.VillageSummary{}, map[string]projections.EnterpriseSummary{}
	hh, err := q.Households(ctx, projections.HouseholdQuery{Paging: projections.Paging{Limit: 10000}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hh.Items {
		f.Households[h.HouseholdID] = h
	}
	vs, err := q.Villages(ctx, projections.Period{}, projections.Paging{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Items {
		f.Villages[v.VillageID] = v
	}
	es, err := q.Enterprises(ctx, projections.Period{}, projections.Paging{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es.Items {
		f.Enterprises[e.EnterpriseID] = e
	}
	return f
}

// shares sums ledger rows by party ("household/H1", "village/V1", …).
func shares(rows []projections.LedgerRow) map[string]domain.Fen {
	out := map[string]domain.Fen{}
	for _, r := range rows {
		out[string(r.PartyKind)+"/"+r.PartyID] += r.AmountFen
	}
	return out
}

// netOf is a line's net money from its payment and refunds, refunds capped
// at the payment (as the ledger clips them).
func netOf(st domain.LineState) (gmv, refunds domain.Fen) {
	for _, r := range st.Refunds {
		refunds += r.AmountFen
	}
	return st.Payment.AmountFen, min(refunds, st.Payment.AmountFen)
}

// testCorrections: each correction moves every figure by exactly what it
// corrected, and nothing else; delivering the corrections again changes
// nothing; a rebuild gives the same answers; the unknown target is a dead
// letter; the corrections are listed by household and by target.
func testCorrections(t *testing.T, open Opener, maxBatch int, pipeline bool) {
	ds := Generate(5, 600)
	ds.Pipeline = pipeline
	store := open(t)
	defer store.Close()
	ds.Project(t, store, maxBatch)
	c := newCorrectionCase(t, store, ds)
	before := readFigures(t, store)
	feed := ds.Feed
	feed.Events = append(append([]domain.Event(nil), ds.Events...), c.corrections...)
	feed.Project(t, store, maxBatch)
	after := readFigures(t, store)

	// Expected changes, from the lines' amounts and the listings' splits.
	vGMV, vRefunds := netOf(c.voided)
	wantGMV := -vGMV + (c.amendedFen - c.amended.Payment.AmountFen)
	wantRefunds := -vRefunds
	if got := after.Overview.GMVFen - before.Overview.GMVFen; got != wantGMV {
		t.Errorf("overview GMV moved by %d fen, want %d", got, wantGMV)
	}
	if got := after.Overview.RefundsFen - before.Overview.RefundsFen; got != wantRefunds {
		t.Errorf("overview refunds moved by %d fen, want %d", got, wantRefunds)
	}
	if got := after.Overview.NetFen - before.Overview.NetFen; got != wantGMV-wantRefunds {
		t.Errorf("overview net moved by %d fen, want %d", got, wantGMV-wantRefunds)
	}
	party := map[string]domain.Fen{}
	for k, v := range shares(projections.LedgerRows(&c.voided)) {
		party[k] -= v
	}
	oldSplit, err := domain.AttributeLine(c.amended.Payment.AmountFen, c.amended.Listing)
	if err != nil {
		t.Fatal(err)
	}
	newSplit, err := domain.AttributeLine(c.amendedFen, c.amended.Listing)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range oldSplit {
		party[string(s.Kind)+"/"+s.PartyID] -= s.AmountFen
	}
	for _, s := range newSplit {
		party[string(s.Kind)+"/"+s.PartyID] += s.AmountFen
	}
	income := map[string]domain.Fen{c.voidIncome.HouseholdID: -c.voidIncome.AmountFen}
	income[c.amendIncome.HouseholdID] += c.amendIncomeFen - c.amendIncome.AmountFen

	for id, b := range before.Households {
		a := after.Households[id]
		if got, want := a.AttributedSalesFen-b.AttributedSalesFen, party[string(domain.PartyHousehold)+"/"+id]; got != want {
			t.Errorf("household %s: attributed sales moved by %d fen, want %d", id, got, want)
		}
		if got, want := a.RecordedIncomeFen-b.RecordedIncomeFen, income[id]; got != want {
			t.Errorf("household %s: recorded income moved by %d fen, want %d", id, got, want)
		}
	}
	villageNet := map[string]domain.Fen{c.voided.Listing.VillageID: -(vGMV - vRefunds)}
	villageNet[c.amended.Listing.VillageID] += c.amendedFen - c.amended.Payment.AmountFen
	for id, b := range before.Villages {
		a := after.Villages[id]
		if got, want := a.CollectiveIncomeFen-b.CollectiveIncomeFen, party[string(domain.PartyCollective)+"/"+id]; got != want {
			t.Errorf("village %s: collective income moved by %d fen, want %d", id, got, want)
		}
		if got, want := a.ProductSalesFen-b.ProductSalesFen, villageNet[id]; got != want {
			t.Errorf("village %s: product sales moved by %d fen, want %d", id, got, want)
		}
	}
	enterpriseNet := map[string]domain.Fen{c.voided.Listing.EnterpriseID: -(vGMV - vRefunds)}
	enterpriseNet[c.amended.Listing.EnterpriseID] += c.amendedFen - c.amended.Payment.AmountFen
	for id, b := range before.Enterprises {
		a := after.Enterprises[id]
		if got, want := a.NetFen-b.NetFen, enterpriseNet[id]; got != want {
			t.Errorf("enterprise %s: net moved by %d fen, want %d", id, got, want)
		}
		if got, want := a.EnterpriseShareFen-b.EnterpriseShareFen, party[string(domain.PartyEnterprise)+"/"+id]; got != want {
			t.Errorf("enterprise %s: share moved by %d fen, want %d", id, got, want)
		}
	}

	// Listed: four applied (the repeat once), found by household and target.
	ctx := context.Background()
	all, err := store.Corrections(ctx, projections.CorrectionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 {
		t.Fatalf("%d corrections listed, want 4:\n%s", len(all), correctionsJSON(all))
	}
	wantDelta := []domain.Fen{-(vGMV - vRefunds), c.amendedFen - c.amended.Payment.AmountFen, -c.voidIncome.AmountFen, c.amendIncomeFen - c.amendIncome.AmountFen}
	for i, rec := range all {
		if rec.ID != c.corrections[i].ID() || rec.DeltaFen != wantDelta[i] || rec.Operator != "admin" || rec.Reason == "" {
			t.Errorf("correction %d: %s by %s, delta %d fen; want %s, delta %d", i, rec.ID, rec.Operator, rec.DeltaFen, c.corrections[i].ID(), wantDelta[i])
		}
	}
	h := c.voided.Listing.Households[0].ID
	byHousehold, err := store.Corrections(ctx, projections.CorrectionFilter{HouseholdID: h})
	if err != nil {
		t.Fatal(err)
	}
	if len(byHousehold) == 0 || byHousehold[0].ID != all[0].ID {
		t.Errorf("corrections of household %s: %s, want the voided line's first", h, correctionsJSON(byHousehold))
	}
	byTarget, err := store.Corrections(ctx, projections.CorrectionFilter{Targets: []string{"income:" + c.amendIncome.ID()}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byTarget) != 1 || byTarget[0].ID != all[3].ID {
		t.Errorf("corrections of income %s: %s, want the amendment only", c.amendIncome.ID(), correctionsJSON(byTarget))
	}
	checkCorrectionDeadLetter(t, store, "no paid line douyin/no-such-order/1")

	// A household's statement shows the corrections behind its figures,
	// which it still adds up to.
	for id, want := range map[string]string{h: all[0].ID, c.amendIncome.HouseholdID: all[3].ID} {
		st, err := queries(store).Statement(ctx, id, projections.Period{})
		if err != nil {
			t.Fatal(err)
		}
		shown := false
		for _, sc := range st.Corrections {
			shown = shown || (sc.ID == want && sc.Operator == "admin" && sc.Reason != "")
		}
		if a := after.Households[id]; !shown || st.IncomeGainFen != a.IncomeGainFen || st.RecordedIncomeFen != a.RecordedIncomeFen {
			t.Errorf("household %s's statement: corrections %+v (want %s shown), income gain %d, recorded %d; want the household's %d, %d",
				id, st.Corrections, want, st.IncomeGainFen, st.RecordedIncomeFen, a.IncomeGainFen, a.RecordedIncomeFen)
		}
	}

	// Delivered again (redelivery, a restarted projector): nothing moves.
	again := feed
	again.Events = append(append([]domain.Event(nil), feed.Events...), c.corrections...)
	again.Project(t, store, maxBatch)
	if got := readFigures(t, store); correctionsJSON(got) != correctionsJSON(after) {
		t.Errorf("the corrections delivered again moved the figures")
	}
	if got, _ := store.Corrections(ctx, projections.CorrectionFilter{}); len(got) != 4 {
		t.Errorf("%d corrections after redelivery, want 4", len(got))
	}

	// A rebuild from the same log gives the same answers.
	rebuilt := open(t)
	defer rebuilt.Close()
	again.Project(t, rebuilt, maxBatch)
	if got := readFigures(t, rebuilt); correctionsJSON(got) != correctionsJSON(after) {
		t.Errorf("rebuilt, the figures differ:\n%s\nwant\n%s", correctionsJSON(got), correctionsJSON(after))
	}
	if got, _ := rebuilt.Corrections(ctx, projections.CorrectionFilter{}); correctionsJSON(got) != correctionsJSON(all) {
		t.Errorf("rebuilt, corrections\n%s\nwant\n%s", correctionsJSON(got), correctionsJSON(all))
	}
}

// testConflictResolution accepts the payment and income conflicts of the
// conflict case and keeps the refund ones: the accepted versions count
// instead of the kept ones, exactly, and the listing shows who resolved
// each; resolving one twice is a dead letter.
func testConflictResolution(t *testing.T, open Opener, maxBatch int) {
	c := newConflictCase(t)
	store := open(t)
	defer store.Close()
	c.feed.Project(t, store, maxBatch)
	before := readFigures(t, store)
	conflicts := listConflicts(t, store)
	var fixes []domain.Event
	var wantNet, wantIncome domain.Fen
	for i, k := range conflicts {
		if k.Resolution != nil {
			t.Fatalf("conflict %s resolved before any correction", k.ID)
		}
		action := domain.CorrectKeepConflict
		switch k.Kind {
		case domain.ConflictPayment:
			action = domain.CorrectAcceptConflict
			wantNet += factFen(t, k.Rejected.Fact) - factFen(t, k.Kept.Fact)
		case domain.ConflictIncome:
			action = domain.CorrectAcceptConflict
			wantIncome += factFen(t, k.Rejected.Fact) - factFen(t, k.Kept.Fact)
		}
		fixes = append(fixes, correction(domain.CorrectionTarget{ConflictID: k.ID}, action, 0, i))
	}
	twice := correction(domain.CorrectionTarget{ConflictID: conflicts[0].ID}, domain.CorrectKeepConflict, 0, 30)
	feed := c.feed
	feed.Events = append(append(append([]domain.Event(nil), c.feed.Events...), fixes...), twice)
	feed.Project(t, store, maxBatch)
	after := readFigures(t, store)
	if got := after.Overview.GMVFen - before.Overview.GMVFen; got != wantNet {
		t.Errorf("accepting the payment conflict moved GMV by %d fen, want %d", got, wantNet)
	}
	var gotIncome domain.Fen
	for id, h := range after.Households {
		gotIncome += h.RecordedIncomeFen - before.Households[id].RecordedIncomeFen
	}
	if gotIncome != wantIncome {
		t.Errorf("accepting the income conflict moved recorded income by %d fen, want %d", gotIncome, wantIncome)
	}
	for _, k := range listConflicts(t, store) {
		if k.Resolution == nil || k.Resolution.ResolvedBy != "admin" || k.Resolution.ResolvedAt.IsZero() {
			t.Errorf("conflict %s (%s): resolution %+v, want resolved by admin", k.ID, k.Kind, k.Resolution)
		}
	}
	checkCorrectionDeadLetter(t, store, "was resolved by admin")

	rebuilt := open(t)
	defer rebuilt.Close()
	feed.Project(t, rebuilt, maxBatch)
	if got := readFigures(t, rebuilt); correctionsJSON(got) != correctionsJSON(after) {
		t.Errorf("rebuilt, the figures differ after resolving conflicts")
	}
}

func checkCorrectionDeadLetter(t *testing.T, store projections.Store, reason string) {
	t.Helper()
	dls, _, err := store.DeadLetters(context.Background(), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, dl := range dls {
		if strings.Contains(dl.Reason, reason) {
			return
		}
	}
	t.Errorf("no dead letter says %q; dead letters: %s", reason, correctionsJSON(dls))
}

func correctionsJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}
