package douyin_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

// rawOrderID is the order whose detail these tests write by hand.
const rawOrderID = "4981457725000000300"

// TestDetailCarriedFieldsAsSent: an order.orderDetail answer with its
// numbers as strings, carried fields as numbers, unknown fields and a room
// given only as room_id_str gives the payment to the fen.
func TestDetailCarriedFieldsAsSent(t *testing.T) {
	sim := sampleSim(t)
	mustNoErr(t, sim.AddRawOrderDetail(rawOrderID, []byte(`{"order_id":"4981457725000000300","create_time":"1588231200","pay_time":"1588231230",
		"pay_amount":"13400","post_amount":"600","doudian_open_id":1234567890123456789012,"shop_name":{"x":1},"promotion_amount":"12.5",
		"sku_order_list":[{"order_id":"4981457725000000301","sku_id":"1747203364827180","product_name":12345,"item_num":"2",
		"pay_amount":"13400","post_amount":"600","author_id":"abc:71286300123","author_name":null,"room_id":"0",
		"room_id_str":"6823941120781224715","origin_amount":138.0,"new":[1]}]}`)))
	r := rigWithServer(t, sim, sim, nil)
	b := "[" + rawElement(`"101"`, `"7065106405339121446:0:101"`, `{"p_id":"`+rawOrderID+`","pay_time":1588231230}`) + "]"
	wantAnswer(t, r.push(t, []byte(b)), http.StatusOK, 0, "success")
	ingesttest.WantNoDeadLetters(t, r.sink)
	want := []domain.Event{&domain.OrderPaid{Platform: "douyin", OrderID: rawOrderID,
		CreatedAt: china("2020-04-30 15:20:00"), PaidAt: china("2020-04-30 15:20:30"), BuyerRef: "1234567890123456789012",
		Lines: []domain.PaidLine{{LineID: "4981457725000000301", SKUID: "1747203364827180", ProductName: "12345", Quantity: 2, AmountFen: 12800,
			Livestream: &domain.LivestreamRef{RoomID: "6823941120781224715", AnchorID: "abc:71286300123"}}}}}
	if w, g := eventsJSON(t, want), eventsJSON(t, r.sink.Events()); string(w) != string(g) {
		t.Errorf("want\n%s\ngot\n%s", w, g)
	}
}

// TestUnusableDetailIsDeadLetter: a detail that is there but cannot be
// counted (a key that is not exact, an amount out of bounds, lines that do
// not add up to the order) would be the same if asked again. The messages
// needing it are dead letters named by msg_id, the answer is 400, and the
// other messages of the push count. Before, such a detail was a 503 and the
// push was refused until the platform gave up: nothing was kept.
func TestUnusableDetailIsDeadLetter(t *testing.T) {
	line := func(fields string) string {
		return `{"order_id":"4981457725000000300","create_time":1588231200,"pay_time":1588231230,"sku_order_list":[{"order_id":"4981457725000000301","item_num":1,` + fields + `}]}`
	}
	tests := []struct{ name, detail, reasonHas string }{
		{"lines do not add up to the order", `{"order_id":"4981457725000000300","create_time":1588231200,"pay_time":1588231230,"pay_amount":20000,"post_amount":0,
			"sku_order_list":[{"order_id":"4981457725000000301","sku_id":1,"item_num":1,"pay_amount":12800,"post_amount":0}]}`, "add up to 12800 fen"},
		{"sku_id not an integer", line(`"sku_id":"abc","pay_amount":100`), `"abc"`},
		{"sku_id through float64", line(`"sku_id":1.747203364827180e15,"pay_amount":100`), "1.747203364827180e15"},
		{"product name an object", line(`"sku_id":1,"product_name":{"zh":"枇杷"},"pay_amount":100`), "not a string or a number"},
		{"negative count", line(`"sku_id":1,"item_num":-1,"pay_amount":100`), "item_num -1"},
		{"freight above payment", line(`"sku_id":1,"pay_amount":100,"post_amount":600`), "post_amount 600 fen exceeds"},
		{"negative amount", line(`"sku_id":1,"pay_amount":-100`), "pay_amount -100"},
		{"amount beyond bounds", line(`"sku_id":1,"pay_amount":9223372036854775807`), "9223372036854775807"},
		{"fractional amount", line(`"sku_id":1,"pay_amount":"128.00"`), "128.00"},
		{"paid in 2200", `{"order_id":"4981457725000000300","create_time":1588231200,"pay_time":7258118400,"sku_order_list":[{"order_id":"4981457725000000301","sku_id":1,"item_num":1,"pay_amount":100}]}`, "pay_time 7258118400"},
		{"detail a string", `"4981457725000000300"`, "shop_order_detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := sampleSim(t)
			mustNoErr(t, sim.AddRawOrderDetail(rawOrderID, []byte(tt.detail)))
			r := rigWithServer(t, sim, sim, nil)
			paid := rawElement(`"101"`, `"7065106405339121446:0:101"`, `{"p_id":`+rawOrderID+`,"pay_time":1588231230}`)
			b := "[" + rawElement(`"100"`, `"7065106405339121446:0:100"`, sampleCreatedData) + "," + paid + "," +
				rawElement(`"206"`, `"7065106405339121446:0:206"`, sampleRefundData) + "]"
			wantAnswer(t, r.push(t, []byte(b)), http.StatusBadRequest, 40000, "rejected msg_id 7065106405339121446:0:101")
			dl := ingesttest.OneDeadLetter(t, r.sink)
			if string(dl.Raw) != paid {
				t.Errorf("dead letter raw: want the paid message %s, got %s", paid, dl.Raw)
			}
			for _, s := range []string{"msg_id 7065106405339121446:0:101", "order " + rawOrderID, tt.reasonHas} {
				if !strings.Contains(dl.Reason, s) {
					t.Errorf("dead letter reason %q does not name %q", dl.Reason, s)
				}
			}
			types := []domain.EventType{}
			for _, e := range r.sink.Events() {
				types = append(types, e.Type())
			}
			if want := []domain.EventType{domain.TypeOrderCreated, domain.TypeRefundSucceeded}; !equal(types, want) {
				t.Errorf("the other messages: want %v, got %v", want, types)
			}
		})
	}
}
