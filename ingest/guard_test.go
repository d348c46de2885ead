package ingest_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

var guardNow = time.Date(2026, 12, 7, 12, 0, 0, 0, domain.ChinaTime)

func paidAt(platform, order string, at time.Time) *domain.OrderPaid {
	return &domain.OrderPaid{Platform: platform, OrderID: order, CreatedAt: at, PaidAt: at,
		Lines: []domain.PaidLine{{LineID: "1", SKUID: "S", Quantity: 1, AmountFen: 100}}}
}

// TestGuardAppend: of one batch, the events that break a rule become dead
// letters naming the rule with the event's JSON; the rest are appended in
// one call, in order.
func TestGuardAppend(t *testing.T) {
	reg := domain.NewRegistry()
	reg.Apply(&domain.HouseholdRegistered{Household: domain.Household{ID: "H-1", VillageID: "V", Members: 1}})
	reg.Apply(&domain.EnterpriseRegistered{Enterprise: domain.Enterprise{ID: "E-1"}})
	ok2020 := time.Date(2020, 5, 2, 10, 0, 0, 0, domain.ChinaTime)
	income := func(h string) *domain.IncomeRecorded {
		return &domain.IncomeRecorded{HouseholdID: h, Kind: domain.IncomeWage, AmountFen: 100, EnterpriseID: "E-1", OccurredAt: ok2020, Reference: "R-" + h}
	}
	batch := []domain.Event{
		paidAt("jd", "good-1", ok2020),
		paidAt("jd", "1900", time.Date(1900, 1, 1, 0, 0, 0, 0, domain.ChinaTime)),
		paidAt("taobao", "unknown-platform", ok2020),
		paidAt("832", "good-2", ok2020),
		paidAt("douyin", "2099", time.Date(2099, 1, 1, 0, 0, 0, 0, domain.ChinaTime)),
		income("H-1"),
		income("H-404"),
		income("110105194912310021"),
	}
	wantReasons := []string{
		"created_at 1900-01-01 00:00:00 is before 2015-01-01",
		`platform "taobao" is unknown`,
		"created_at 2099-01-01 00:00:00 is in the future",
		`household "H-404" is not registered`,
		"household_id looks like an ID-card number",
	}
	sink := &ingesttest.Sink{}
	g, err := ingest.NewGuard(sink, ingest.GuardConfig{Source: "jd", Registry: reg, Now: func() time.Time { return guardNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Append(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	if b := sink.Batches(); len(b) != 1 || !slices.Equal(eventIDs(b[0]), eventIDs([]domain.Event{batch[0], batch[3], batch[5]})) {
		t.Fatalf("appended %d batches %v, want one of good-1, good-2 and H-1's income", len(b), b)
	}
	dead := sink.DeadLetters()
	if len(dead) != len(wantReasons) {
		t.Fatalf("got %d dead letters, want %d", len(dead), len(wantReasons))
	}
	for i, dl := range dead {
		if dl.Source != "jd" || !strings.Contains(dl.Reason, wantReasons[i]) || !dl.ReceivedAt.Equal(guardNow) {
			t.Errorf("dead letter %d: source %q reason %q at %v; want source jd, a reason saying %q", i, dl.Source, dl.Reason, dl.ReceivedAt, wantReasons[i])
		}
		var raw struct {
			Type    domain.EventType `json:"type"`
			ID      string           `json:"id"`
			Payload json.RawMessage  `json:"payload"`
		}
		if err := json.Unmarshal(dl.Raw, &raw); err != nil {
			t.Fatalf("dead letter %d raw %q: %v", i, dl.Raw, err)
		}
		e, err := domain.UnmarshalEvent(raw.Type, domain.CurrentVersion, raw.Payload)
		if err != nil || e.ID() != raw.ID || !strings.Contains(dl.Reason, raw.ID) {
			t.Errorf("dead letter %d: raw does not give back the event %s: %v", i, raw.ID, err)
		}
	}
	// Refused again (a poller's retry), the same dead letters by id.
	again := &ingesttest.Sink{}
	g2, _ := ingest.NewGuard(again, ingest.GuardConfig{Source: "jd", Registry: reg, Now: func() time.Time { return guardNow.Add(time.Hour) }})
	if err := g2.Append(context.Background(), batch...); err != nil {
		t.Fatal(err)
	}
	for i, dl := range again.DeadLetters() {
		if dl.ID != dead[i].ID {
			t.Errorf("dead letter %d: id %s, then %s an hour later", i, dead[i].ID, dl.ID)
		}
	}
}

// TestGuardWithoutRegistry: with no registry, income is not checked
// against one (webhooks and pollers), the other rules still hold.
func TestGuardWithoutRegistry(t *testing.T) {
	sink := &ingesttest.Sink{}
	g, err := ingest.NewGuard(sink, ingest.GuardConfig{Window: domain.AcceptWindow{From: time.Date(2021, 1, 1, 0, 0, 0, 0, domain.ChinaTime)}})
	if err != nil {
		t.Fatal(err)
	}
	in := &domain.IncomeRecorded{HouseholdID: "H-404", Kind: domain.IncomeWage, AmountFen: 1, EnterpriseID: "E", OccurredAt: guardNow, Reference: "R"}
	old := paidAt("jd", "2020", time.Date(2020, 5, 2, 10, 0, 0, 0, domain.ChinaTime))
	if err := g.Append(context.Background(), in, old); err != nil {
		t.Fatal(err)
	}
	if len(sink.Events()) != 1 || len(sink.DeadLetters()) != 1 || !strings.Contains(sink.DeadLetters()[0].Reason, "before 2021-01-01") ||
		sink.DeadLetters()[0].Source != "guard" {
		t.Fatalf("events %d, dead letters %+v; want the income appended and the 2020 order refused by source guard", len(sink.Events()), sink.DeadLetters())
	}
}

func TestNewGuardRefuses(t *testing.T) {
	if _, err := ingest.NewGuard(nil, ingest.GuardConfig{}); err == nil {
		t.Error("a nil sink was accepted")
	}
	if _, err := ingest.NewGuard(&ingesttest.Sink{}, ingest.GuardConfig{Window: domain.AcceptWindow{Skew: -time.Hour}}); err == nil {
		t.Error("a negative skew was accepted")
	}
}

func eventIDs(events []domain.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.ID()
	}
	return ids
}
