package douyin_test

import (
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// Orders the mapping tests add to the simulated platform beside the sample.
var (
	// freightOrder was bought outside a live room with 6 yuan freight on its
	// first line; its second line's room is given only as room_id.
	freightOrder = douyinsim.ShopOrderDetail{
		OrderID: "4981457725000000100", CreateTime: 1588231000, PayTime: 1588231060, DoudianOpenID: "1@#open-id",
		PayAmount: 16000, PostAmount: 600,
		SkuOrderList: []douyinsim.SkuOrder{
			{OrderID: "4981457725000000101", SkuID: 1747203364827180, ProductName: "萍湖枇杷", ItemNum: 1, PayAmount: 7000, PostAmount: 600},
			{OrderID: "4981457725000000102", SkuID: 1747203364827181, ProductName: "枇杷膏", ItemNum: 3, PayAmount: 9000, AuthorID: 71286300123, RoomID: 6823941120781224715},
		},
	}
	unpaidOrder = douyinsim.ShopOrderDetail{
		OrderID: "4981457725000000200", CreateTime: 1588231000, PayAmount: 6400,
		SkuOrderList: []douyinsim.SkuOrder{{OrderID: "4981457725000000201", SkuID: 1747203364827180, ItemNum: 1, PayAmount: 6400}},
	}
)

func TestTagsToEvents(t *testing.T) {
	const sample = "4981457725012345678"
	tests := []struct {
		name string
		msg  douyinsim.Message
		want domain.Event
	}{
		{"shipped at update_time", msg("102", "1", `{"p_id":4981457725012345678,"update_time":1588320000,"ship_time":1588310000}`),
			&domain.OrderShipped{Platform: "douyin", OrderID: sample, ShippedAt: china("2020-05-01 16:00:00")}},
		{"shipped at ship_time", msg("102", "2", `{"p_id":4981457725012345678,"ship_time":1588310000}`),
			&domain.OrderShipped{Platform: "douyin", OrderID: sample, ShippedAt: china("2020-05-01 13:13:20")}},
		{"shipped at receipt", msg("102", "3", `{"p_id":4981457725012345678}`),
			&domain.OrderShipped{Platform: "douyin", OrderID: sample, ShippedAt: receivedAt}},
		{"completed at complete_time", msg("103", "4", `{"p_id":4981457725012345678,"complete_time":1588500000,"update_time":1588400000}`),
			&domain.OrderCompleted{Platform: "douyin", OrderID: sample, CompletedAt: china("2020-05-03 18:00:00")}},
		{"completed at update_time", msg("103", "5", `{"p_id":4981457725012345678,"update_time":1588400000}`),
			&domain.OrderCompleted{Platform: "douyin", OrderID: sample, CompletedAt: china("2020-05-02 14:13:20")}},
		{"cancelled after payment", msg("106", "6", `{"p_id":4981457725012345678,"cancel_time":1588235000,"update_time":1588236000}`),
			&domain.OrderCancelled{Platform: "douyin", OrderID: sample, CancelledAt: china("2020-04-30 16:23:20"), WasPaid: true,
				Lines: []domain.CancelledLine{{LineID: "4981457725012345679", AmountFen: 12800}}}},
		{"cancelled unpaid at update_time", msg("106", "7", `{"p_id":4981457725000000200,"update_time":1588232800}`),
			&domain.OrderCancelled{Platform: "douyin", OrderID: "4981457725000000200", CancelledAt: china("2020-04-30 15:46:40"),
				Lines: []domain.CancelledLine{{LineID: "4981457725000000201", AmountFen: 6400}}}},
		{"paid with freight, off and on live", msg("101", "8", `{"p_id":"4981457725000000100","pay_time":1588231060}`),
			&domain.OrderPaid{Platform: "douyin", OrderID: "4981457725000000100", CreatedAt: china("2020-04-30 15:16:40"), PaidAt: china("2020-04-30 15:17:40"),
				BuyerRef: "1@#open-id", Lines: []domain.PaidLine{
					{LineID: "4981457725000000101", SKUID: "1747203364827180", ProductName: "萍湖枇杷", Quantity: 1, AmountFen: 6400},
					{LineID: "4981457725000000102", SKUID: "1747203364827181", ProductName: "枇杷膏", Quantity: 3, AmountFen: 9000,
						Livestream: &domain.LivestreamRef{RoomID: "6823941120781224715", AnchorID: "71286300123"}},
				}}},
		{"refund without its freight", msg("206", "9", `{"aftersale_id":7012345678901234568,"p_id":4981457725000000100,"s_id":4981457725000000101,"refund_amount":7000,"refund_post_amount":600,"modify_time":1588300000}`),
			&domain.RefundSucceeded{Platform: "douyin", OrderID: "4981457725000000100", LineID: "4981457725000000101", RefundID: "7012345678901234568", AmountFen: 6400, RefundedAt: china("2020-05-01 10:26:40")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			mustNoErr(t, r.sim.AddOrders(freightOrder, unpaidOrder))
			wantAnswer(t, r.push(t, body(t, tt.msg)), 200, 0)
			want, got := eventsJSON(t, []domain.Event{tt.want}), eventsJSON(t, r.sink.Events())
			if string(want) != string(got) {
				t.Errorf("want\n%s\ngot\n%s", want, got)
			}
		})
	}
}

// TestDetailFetchedOncePerBody: payment, cancellation and a re-sent payment
// of one order in one push make one order.orderDetail call.
func TestDetailFetchedOncePerBody(t *testing.T) {
	r := newRig(t, nil)
	paid := msg("101", "1", `{"p_id":4981457725012345678,"pay_time":1588231230}`)
	cancelled := msg("106", "2", `{"p_id":4981457725012345678,"cancel_time":1588235000}`)
	wantAnswer(t, r.push(t, body(t, paid, cancelled, paid)), 200, 0)
	if n := r.sim.DetailRequests(); n != 1 {
		t.Errorf("want 1 order.orderDetail call, got %d", n)
	}
	types := []domain.EventType{}
	for _, e := range r.sink.Events() {
		types = append(types, e.Type())
	}
	if want := []domain.EventType{domain.TypeOrderPaid, domain.TypeOrderCancelled, domain.TypeOrderPaid}; !equal(types, want) {
		t.Errorf("want %v, got %v", want, types)
	}
}
