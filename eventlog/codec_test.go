package eventlog_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/demo"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestCodecMatchesDomain holds the event log's codec (goccy/go-json) to the
// domain's reference codec (encoding/json): the same payload bytes for every
// kind of event, and the same events decoded back.
func TestCodecMatchesDomain(t *testing.T) {
	reg, err := demo.Registry("2020-04-30")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2020, 4, 30, 23, 59, 59, 999, domain.ChinaTime)
	odd := []domain.Event{
		// Characters the two packages could escape differently: HTML, line
		// separators, control characters, invalid UTF-8, CJK.
		&domain.OrderPaid{Platform: "douyin", OrderID: "1", CreatedAt: at, PaidAt: at, BuyerRef: "<a&b>\u2028\u2029\x01\xff枇杷\"\\",
			Lines: []domain.PaidLine{{LineID: "2", SKUID: "3", Quantity: 1, AmountFen: 1,
				Livestream: &domain.LivestreamRef{RoomID: "6823941120781224715", AnchorName: "城厢\t助农"}}}},
		&domain.IncomeRecorded{HouseholdID: "H", Kind: domain.IncomeWage, AmountFen: -5, OccurredAt: at.UTC(), Reference: ""},
		&domain.OrderCompleted{Platform: "jd", OrderID: "9", CompletedAt: at},
	}
	events := append(append(reg.Events(), storetest.Generate(5, 300).Events...), odd...)
	kinds := map[domain.EventType]int{}
	for _, e := range events {
		kinds[e.Type()]++
		want, err := domain.MarshalEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := eventlog.NewMessage(e)
		if err != nil {
			t.Fatalf("%s: %v", e.Type(), err)
		}
		if string(msg.Payload) != string(want) {
			t.Fatalf("%s: the log's payload differs from the domain's:\n got %s\nwant %s", e.Type(), msg.Payload, want)
		}
		got, err := eventlog.DecodeMessage(msg)
		if err != nil {
			t.Fatalf("%s: %v", e.Type(), err)
		}
		ref, err := domain.UnmarshalEvent(e.Type(), domain.CurrentVersion, want)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("%s decoded differently:\n log    %#v\n domain %#v", e.Type(), got, ref)
		}
	}
	for _, k := range []domain.EventType{domain.TypeDistrictDefined, domain.TypeVillageRegistered, domain.TypeHouseholdRegistered,
		domain.TypeEnterpriseRegistered, domain.TypeListingPublished, domain.TypeOrderCreated, domain.TypeOrderPaid,
		domain.TypeOrderShipped, domain.TypeOrderCompleted, domain.TypeOrderCancelled, domain.TypeRefundSucceeded, domain.TypeIncomeRecorded} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the corpus", k)
		}
	}
}

func TestDecodeMessageRejects(t *testing.T) {
	cases := []struct {
		name, typ, version, payload string
		unknownType                 bool
	}{
		{"misspelt field", string(domain.TypeOrderPaid), "1", `{"platfrom":"x"}`, false},
		{"not JSON", string(domain.TypeOrderPaid), "1", `{"platform":`, false},
		{"wrong type of value", string(domain.TypeRefundSucceeded), "1", `{"amount_fen":"12.5"}`, false},
		{"unknown type", "order.teleported", "1", `{}`, true},
		{"unknown version", string(domain.TypeOrderPaid), "99", `{}`, true},
		{"bad version", string(domain.TypeOrderPaid), "x", `{}`, false},
	}
	for _, c := range cases {
		msg := message.NewMessage("m", []byte(c.payload))
		msg.Metadata.Set(eventlog.MetaEventType, c.typ)
		msg.Metadata.Set(eventlog.MetaEventVersion, c.version)
		_, err := eventlog.DecodeMessage(msg)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if got := errors.Is(err, domain.ErrUnknownEventType); got != c.unknownType {
			t.Errorf("%s: ErrUnknownEventType %v, want %v (%v)", c.name, got, c.unknownType, err)
		}
	}
}
