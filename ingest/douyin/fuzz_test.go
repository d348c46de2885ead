package douyin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

// The fuzz targets feed each decoder arbitrary input, seeded from the
// samples (testdata holds copies of /work/shared/samples) and from the
// forms real senders use. The property is the same everywhere: no input
// panics, and whatever is accepted yields events that validate, that the
// log can write and read back unchanged, and whose money adds up.
//
//	go test -run='^$' -fuzz='^FuzzPushBody$' -fuzztime=5s ./ingest/douyin

// fuzzReceived is the handler's clock in the fuzz targets.
var fuzzReceived = time.Date(2020, 5, 1, 16, 0, 0, 0, domain.ChinaTime)

// orderTags are the tags whose data is an orderMessage.
var orderTags = []string{tagOrderCreated, tagOrderPaid, tagOrderShipped, tagOrderCompleted, tagOrderCancelled}

// FuzzPushBody sends a body through the handler's whole path after the
// signature (split, decode, order details from the simulated platform,
// mapping, validation, dead letters, append).
func FuzzPushBody(f *testing.F) {
	for _, name := range []string{"douyin-push-paid.json", "douyin-push-refund.json"} {
		f.Add(readSeed(f, name))
	}
	f.Add([]byte(`[{"tag":101,"msg_id":7065106405339121446123,"data":"{\"p_id\":\"4981457725012345678\",\"pay_time\":\"1588231230\"}"},` +
		`{"tag":"106","msg_id":"7065106405339121446:0:106","data":"{\"p_id\":4981457725012345678,\"cancel_time\":1588235000}"},` +
		`{"tag":"206","msg_id":null,"data":"{\"aftersale_id\":\"7012345678901234567\",\"p_id\":4981457725012345678,\"s_id\":4981457725012345679,\"refund_amount\":\"6400\",\"modify_time\":1588317630}"},` +
		`{"tag":"102","msg_id":{"x":1},"data":"{}"},{"tag":"999","data":"not json"},7,null]`))
	sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{})
	if err != nil {
		f.Fatal(err)
	}
	if err := sim.AddOrderDetailJSON(readSeed(f, "douyin-order-detail.json")); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sink := &ingesttest.Sink{}
		h, err := NewHandler(Config{
			AppKey: douyinsim.SampleAppKey, AppSecret: douyinsim.SampleAppSecret, AccessToken: douyinsim.SampleAccessToken,
			APIBaseURL: "http://douyinsim.invalid", MaxAttempts: 1, Now: func() time.Time { return fuzzReceived },
			HTTPClient: &http.Client{Transport: inProcess{sim}},
		}, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		status, _, msg := h.ingest(context.Background(), body)
		dead := sink.DeadLetters()
		switch {
		case status == http.StatusOK && len(dead) > 0:
			t.Fatalf("answered 200 (%s) with %d dead letters", msg, len(dead))
		case status == http.StatusBadRequest && len(dead) == 0:
			t.Fatalf("answered 400 (%s) with no dead letter", msg)
		case status != http.StatusOK && status != http.StatusBadRequest && status != http.StatusServiceUnavailable:
			t.Fatalf("answered %d (%s)", status, msg)
		}
		for _, dl := range dead {
			if !bytes.Equal(dl.Raw, body) && (len(dl.Raw) == 0 || !bytes.Contains(body, dl.Raw)) {
				t.Fatalf("dead letter %q keeps %q, neither the body nor a message of it", dl.Reason, dl.Raw)
			}
		}
		for _, e := range sink.Events() {
			checkEvent(t, e)
		}
	})
}

// FuzzOrderData decodes the data of an order tag (100–106) and maps it,
// with the sample order's detail for the tags that need one.
func FuzzOrderData(f *testing.F) {
	detail := decodeSeedDetail(f)
	f.Add(uint8(0), `{"p_id":4981457725012345678,"s_ids":[4981457725012345679],"shop_id":1234567,"order_status":1,"order_type":0,"biz":2,"create_time":1588231200}`)
	f.Add(uint8(1), `{"p_id":4981457725012345678,"s_ids":[4981457725012345679],"shop_id":1234567,"order_status":2,"order_type":0,"pay_type":1,"pay_time":1588231230,"pay_amount":12800,"biz":2}`)
	f.Add(uint8(2), `{"p_id":"4981457725012345678","update_time":"1588320000","ship_time":1588310000}`)
	f.Add(uint8(3), `{"p_id":4981457725012345678,"complete_time":1588500000,"extra":{"a":[1,2.5]}}`)
	f.Add(uint8(4), `{"p_id":4981457725012345678,"cancel_time":1588235000,"update_time":1588236000}`)
	f.Add(uint8(0), `{"p_id":9223372036854775807,"create_time":4102415999}`)
	f.Add(uint8(2), `{"p_id":4981457725012345678,"update_time":253402300800}`) // past year 9999: refused
	f.Fuzz(func(t *testing.T, tagIndex uint8, data string) {
		tag := orderTags[int(tagIndex)%len(orderTags)]
		e, ok := decodeAndMap(t, tag, data, detail)
		if !ok {
			return
		}
		if got := orderOf(e); got == "" || got == "0" {
			t.Fatalf("accepted %s with order id %q", e.Type(), got)
		}
	})
}

// FuzzRefundData decodes and maps the data of tag 206, refund succeeded.
func FuzzRefundData(f *testing.F) {
	var msgs []struct{ Data string }
	if err := json.Unmarshal(readSeed(f, "douyin-push-refund.json"), &msgs); err != nil {
		f.Fatal(err)
	}
	for _, m := range msgs {
		f.Add(m.Data)
	}
	f.Add(`{"aftersale_id":"7012345678901234568","p_id":"4981457725000000100","s_id":4981457725000000101,"refund_amount":"7000","refund_post_amount":600,"modify_time":"1588300000"}`)
	f.Add(`{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":600,"refund_post_amount":700,"modify_time":1588317630}`)
	// Out of bounds, each to be refused: a time past year 9999, an amount past 10^12 fen.
	f.Add(`{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":600,"modify_time":253402300800}`)
	f.Add(`{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":9223372036854775807,"modify_time":1588317630}`)
	f.Fuzz(func(t *testing.T, data string) {
		e, ok := decodeAndMap(t, tagRefundSucceeded, data, nil)
		if !ok {
			return
		}
		r := e.(*domain.RefundSucceeded)
		var m refundMessage
		if err := decodeData(quoteJSON(t, data), &m); err != nil {
			t.Fatalf("accepted data that does not decode again: %v", err)
		}
		// The refund is the goods money refunded: positive, no more than
		// the refund's amount, and that amount less its freight.
		if r.AmountFen <= 0 || r.AmountFen > domain.Fen(m.RefundAmount) || r.AmountFen != domain.Fen(m.RefundAmount-m.RefundPostAmount) {
			t.Fatalf("refund of %d fen from refund_amount %d and refund_post_amount %d", r.AmountFen, m.RefundAmount, m.RefundPostAmount)
		}
	})
}

// FuzzOrderDetail decodes an order.orderDetail answer and builds both
// events made from it: the payment (tag 101) and the cancellation (106).
func FuzzOrderDetail(f *testing.F) {
	f.Add(readSeed(f, "douyin-order-detail.json"))
	f.Add([]byte(`{"code":"10000","log_id":20200430151230010203,"data":{"shop_order_detail":{"order_id":4981457725000000100,"create_time":"1588231000","pay_time":1588231060,` +
		`"pay_amount":"16000","post_amount":600,"doudian_open_id":"1@#open-id","sku_order_list":[` +
		`{"order_id":"4981457725000000101","sku_id":"1747203364827180","product_name":"萍湖枇杷","item_num":"1","pay_amount":7000,"post_amount":"600","room_id":0},` +
		`{"order_id":4981457725000000102,"sku_id":1747203364827181,"product_name":12,"item_num":3,"pay_amount":9000,"author_id":"a:1","room_id_str":"6823941120781224715","x":[{}]}]}}}`))
	f.Add([]byte(`{"code":20000,"msg":"服务不可用","sub_code":"isp.service-error","data":{}}`))
	f.Add([]byte(`{"code":10000,"data":{"shop_order_detail":{"order_id":"1","pay_time":1588231060,"pay_amount":100,"sku_order_list":[{"order_id":"2","sku_id":3,"pay_amount":60},{"order_id":"4","sku_id":3,"pay_amount":50}]}}}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		d, err := decodeDetailAnswer(answer)
		if err != nil || d.invalid != nil {
			return
		}
		if paid, err := paidEvent(d); err == nil && paid.Validate() == nil {
			checkEvent(t, paid)
			checkLines(t, d, func(i int) domain.Fen { return paid.Lines[i].AmountFen })
		}
		push := orderMessage{PID: d.OrderID, CancelTime: integer(fuzzReceived.Unix())}
		if cancelled, err := cancelledEvent(push, d); err == nil && cancelled.Validate() == nil {
			checkEvent(t, cancelled)
			checkLines(t, d, func(i int) domain.Fen { return cancelled.Lines[i].AmountFen })
		}
	})
}

// decodeAndMap wraps data as the push element of tag, decodes and maps it
// as the handler does, and returns the event if the handler would append it.
func decodeAndMap(t *testing.T, tag, data string, detail *orderDetail) (domain.Event, bool) {
	t.Helper()
	raw, err := json.Marshal(map[string]string{"tag": tag, "msg_id": "7065106405339121446:0:" + tag, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	m := decodeMessage(raw)
	if m.err != nil {
		return nil, false
	}
	if m.msgID != "7065106405339121446:0:"+tag || m.tag != tag {
		t.Fatalf("msg_id %q tag %q, not as sent", m.msgID, m.tag)
	}
	e, err := toEvent(m, detail, fuzzReceived)
	if err != nil || e == nil || e.Validate() != nil {
		return nil, false
	}
	checkEvent(t, e)
	return e, true
}

// checkEvent holds an accepted event to what the log and the projector
// need: it validates, carries only UTF-8, its times are in the plausible
// window, its amounts are non-negative and bounded, and it survives the
// log's encoding unchanged.
func checkEvent(t *testing.T, e domain.Event) {
	t.Helper()
	if err := e.Validate(); err != nil {
		t.Fatalf("appended %s does not validate: %v", e.Type(), err)
	}
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		t.Fatalf("the log cannot write %s: %v", e.Type(), err)
	}
	back, err := domain.UnmarshalEvent(e.Type(), domain.CurrentVersion, payload)
	if err != nil {
		t.Fatalf("the log cannot read back %s: %v", payload, err)
	}
	again, _ := domain.MarshalEvent(back)
	if back.ID() != e.ID() || !bytes.Equal(again, payload) {
		t.Fatalf("%s changed through the log:\n%s\n%s", e.Type(), payload, again)
	}
	var times []time.Time
	var amounts []domain.Fen
	var texts []string
	switch e := e.(type) {
	case *domain.OrderCreated:
		times, texts = []time.Time{e.CreatedAt}, []string{e.OrderID}
	case *domain.OrderShipped:
		times, texts = []time.Time{e.ShippedAt}, []string{e.OrderID}
	case *domain.OrderCompleted:
		times, texts = []time.Time{e.CompletedAt}, []string{e.OrderID}
	case *domain.OrderPaid:
		times, texts = []time.Time{e.CreatedAt, e.PaidAt}, []string{e.OrderID, e.BuyerRef}
		for _, l := range e.Lines {
			amounts = append(amounts, l.AmountFen)
			texts = append(texts, l.LineID, l.SKUID, l.ProductName)
			if l.Quantity < 0 || l.Quantity > maxQuantity {
				t.Fatalf("line %s quantity %d", l.LineID, l.Quantity)
			}
			if l.Livestream != nil {
				texts = append(texts, l.Livestream.RoomID, l.Livestream.AnchorID, l.Livestream.AnchorName)
			}
		}
	case *domain.OrderCancelled:
		times, texts = []time.Time{e.CancelledAt}, []string{e.OrderID}
		for _, l := range e.Lines {
			amounts = append(amounts, l.AmountFen)
			texts = append(texts, l.LineID)
		}
	case *domain.RefundSucceeded:
		times, amounts, texts = []time.Time{e.RefundedAt}, []domain.Fen{e.AmountFen}, []string{e.OrderID, e.LineID, e.RefundID}
	default:
		t.Fatalf("the adapter made a %s", e.Type())
	}
	for _, at := range times {
		if s := at.Unix(); s < minUnixTime || s >= maxUnixTime || at.Location() != domain.ChinaTime {
			t.Fatalf("%s at %s: outside the window or not China time", e.Type(), at)
		}
	}
	for _, fen := range amounts {
		if fen < 0 || fen > maxAmountFen {
			t.Fatalf("%s amount %d fen", e.Type(), fen)
		}
	}
	for _, s := range texts {
		if !utf8.ValidString(s) || len(s) > maxNameBytes {
			t.Fatalf("%s carries %q", e.Type(), s)
		}
	}
}

// checkLines holds the lines of an event built from d to d's amounts: each
// is its pay_amount less its post_amount, and where d states the order's
// pay_amount, they add up to it less the order's post_amount.
func checkLines(t *testing.T, d *orderDetail, amount func(i int) domain.Fen) {
	t.Helper()
	var sum domain.Fen
	for i, s := range d.SkuOrderList {
		if got, want := amount(i), domain.Fen(s.PayAmount-s.PostAmount); got != want || got < 0 {
			t.Fatalf("line %d: %d fen, its pay_amount %d less post_amount %d is %d", i, got, s.PayAmount, s.PostAmount, want)
		}
		sum += amount(i)
	}
	if d.PayAmount == nil {
		return
	}
	want := domain.Fen(*d.PayAmount)
	if d.PostAmount != nil {
		want -= domain.Fen(*d.PostAmount)
	}
	if sum != want {
		t.Fatalf("lines add up to %d fen, the order states %d", sum, want)
	}
}

// orderOf is the order an order event is about.
func orderOf(e domain.Event) string {
	switch e := e.(type) {
	case *domain.OrderCreated:
		return e.OrderID
	case *domain.OrderPaid:
		return e.OrderID
	case *domain.OrderShipped:
		return e.OrderID
	case *domain.OrderCompleted:
		return e.OrderID
	case *domain.OrderCancelled:
		return e.OrderID
	}
	return ""
}

// quoteJSON is s as the JSON string a push carries it in.
func quoteJSON(t *testing.T, s string) []byte {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readSeed(f *testing.F, name string) []byte {
	return ingesttest.ReadTestdata(f, name)
}

func decodeSeedDetail(f *testing.F) *orderDetail {
	d, err := decodeDetailAnswer(readSeed(f, "douyin-order-detail.json"))
	if err == nil {
		err = d.invalid
	}
	if err != nil {
		f.Fatalf("douyin-order-detail.json: %v", err)
	}
	return d
}

// inProcess is a transport that serves requests with a handler in the same
// process: the simulated platform's real handler, without a socket per call.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	return w.Result(), nil
}
