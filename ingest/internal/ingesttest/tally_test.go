package ingesttest

import (
	"reflect"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

func TestTally(t *testing.T) {
	placed := China("2020-04-30 20:00:00")
	created := func(order string) domain.Event {
		return &domain.OrderCreated{Platform: "test", OrderID: order, CreatedAt: placed}
	}
	paid := func(order, at, room string, fen domain.Fen) domain.Event {
		l := domain.PaidLine{LineID: order + "-1", SKUID: "sku", ProductName: "枇杷", Quantity: 1, AmountFen: fen}
		if room != "" {
			l.Livestream = &domain.LivestreamRef{RoomID: room, AnchorName: "主播"}
		}
		return &domain.OrderPaid{Platform: "test", OrderID: order, CreatedAt: placed, PaidAt: China(at), Lines: []domain.PaidLine{l}}
	}
	cancelled := func(order, at string, fen domain.Fen) domain.Event {
		return &domain.OrderCancelled{Platform: "test", OrderID: order, CancelledAt: China(at), WasPaid: true,
			Lines: []domain.CancelledLine{{LineID: order + "-1", AmountFen: fen}}}
	}
	tests := []struct {
		name   string
		events []domain.Event
		want   Figures
	}{
		{
			name:   "a sale and a later refund, by day",
			events: []domain.Event{created("1"), paid("1", "2020-04-30 20:01:00", "", 5990), created("2"), paid("2", "2020-04-30 21:00:00", "", 1000), cancelled("2", "2020-05-01 09:00:00", 1000)},
			want: Figures{
				Totals: platformsim.Totals{GMVFen: 6990, RefundsFen: 1000, NetFen: 5990}, OrdersCreated: 2, OrdersPaid: 2, OrdersRefunded: 1,
				ByDay:  map[string]platformsim.Totals{"2020-04-30": {GMVFen: 6990, NetFen: 6990}, "2020-05-01": {RefundsFen: 1000, NetFen: -1000}},
				ByRoom: map[string]platformsim.Totals{},
			},
		},
		{
			name:   "events read twice count once",
			events: []domain.Event{created("1"), paid("1", "2020-04-30 20:01:00", "", 5990), created("1"), paid("1", "2020-04-30 20:01:00", "", 5990)},
			want: Figures{
				Totals: platformsim.Totals{GMVFen: 5990, NetFen: 5990}, OrdersCreated: 1, OrdersPaid: 1,
				ByDay: map[string]platformsim.Totals{"2020-04-30": {GMVFen: 5990, NetFen: 5990}}, ByRoom: map[string]platformsim.Totals{},
			},
		},
		{
			name:   "a refund above the payment is clipped, as the projector clips it",
			events: []domain.Event{created("1"), paid("1", "2020-04-30 20:01:00", "", 500), cancelled("1", "2020-04-30 22:00:00", 800)},
			want: Figures{
				Totals: platformsim.Totals{GMVFen: 500, RefundsFen: 500}, OrdersCreated: 1, OrdersPaid: 1, OrdersRefunded: 1,
				ByDay: map[string]platformsim.Totals{"2020-04-30": {GMVFen: 500, RefundsFen: 500}}, ByRoom: map[string]platformsim.Totals{},
			},
		},
		{
			name:   "lines sold in a livestream, by room",
			events: []domain.Event{created("1"), paid("1", "2020-04-30 20:01:00", "r1", 700), created("2"), paid("2", "2020-04-30 20:02:00", "", 300)},
			want: Figures{
				Totals: platformsim.Totals{GMVFen: 1000, NetFen: 1000}, OrdersCreated: 2, OrdersPaid: 2,
				ByDay:  map[string]platformsim.Totals{"2020-04-30": {GMVFen: 1000, NetFen: 1000}},
				ByRoom: map[string]platformsim.Totals{"r1": {GMVFen: 700, NetFen: 700}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tally("test", tt.events); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestPaidThenCancelledLater(t *testing.T) {
	paid := &domain.OrderPaid{Platform: "test", OrderID: "1"}
	cancelledPaid := &domain.OrderCancelled{Platform: "test", OrderID: "1", WasPaid: true}
	tests := []struct {
		name    string
		batches [][]domain.Event
		want    int
	}{
		{"in the same batch", [][]domain.Event{{paid, cancelledPaid}}, 0},
		{"in a later batch", [][]domain.Event{{paid}, {cancelledPaid}}, 1},
		{"counted once", [][]domain.Event{{paid}, {cancelledPaid}, {paid, cancelledPaid}}, 1},
		{"cancelled unpaid", [][]domain.Event{{paid}, {&domain.OrderCancelled{Platform: "test", OrderID: "1"}}}, 0},
	}
	for _, tt := range tests {
		if got := PaidThenCancelledLater(tt.batches); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
	if got := PaidOrders([]domain.Event{paid, cancelledPaid, &domain.OrderPaid{OrderID: "2"}}); got != "1,2" {
		t.Errorf("PaidOrders: %q", got)
	}
}
