package jd

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// FuzzDecodeSearchPage feeds answers of jingdong.pop.order.search to the
// page decoder and every order of an accepted page to the order decoder.
// Properties: nothing panics; an answer refused as not a page keeps its
// bytes for the dead letter; every order accepted gives events that
// validate, all of its order, whose money adds up, checked against the
// order's own fields read independently here: the lines after the seller
// discount sum to the goods total less the discount, which is
// orderSellerPrice; no line is negative or above its goods; a cancellation
// refunds each line at most what it paid.
//
//	go test -run='^$' -fuzz='^FuzzDecodeSearchPage$' -fuzztime=5s ./ingest/jd
func FuzzDecodeSearchPage(f *testing.F) {
	ingesttest.FuzzPages(f, ingesttest.PageFuzz[decodedOrder]{
		Sample: sampledata.File("jd-order-search.json"),
		Replace: [][2]string{
			{`"orderState": "WAIT_SELLER_STOCK_OUT"`, `"orderState": "TRADE_CANCELED"`},
			{`"orderState": "WAIT_SELLER_STOCK_OUT"`, `"orderState": "FINISHED_L"`},
			{`"paymentConfirmTime": "2020-04-30 20:15:19"`, `"paymentConfirmTime": ""`},
			{`"orderTotal": 2`, `"orderTotal": "2"`},
		},
		Extra: [][]byte{
			[]byte(`{"error_response":{"code":"2","zh_desc":"限制时间内调用失败次数"}}`),
			[]byte(`{"jingdong_pop_order_search_responce":{"searchorderinfo_result":{"orderTotal":"2","orderInfoList":[` +
				`{"orderId":"9","orderState":"TRADE_CANCELED","orderStartTime":"2020-05-01 10:00:00","paymentConfirmTime":"2020-05-01 10:00:05","modified":"2020-05-01 11:00:00",` +
				`"orderSellerPrice":"10.00","sellerDiscount":"0.02","itemInfoList":[{"skuId":"1","jdPrice":"3.34","itemTotal":"1"},{"skuId":"1","jdPrice":3.34,"itemTotal":"2"}]},` +
				`{"orderId":7}]}}}`),
		},
		DecodePage: func(answer []byte) ([]json.RawMessage, error) {
			pg, err := decodePage(answer)
			if err != nil {
				return nil, err
			}
			return pg.orders, nil
		},
		DecodeOrder: decodeOrder,
		Check:       checkOrder,
	})
}

// checkOrder holds an accepted order's events to the properties above.
func checkOrder(t *testing.T, raw json.RawMessage, d decodedOrder) {
	t.Helper()
	paid := map[string]domain.Fen{}
	var paidSum domain.Fen
	for _, e := range d.Events {
		if err := e.Validate(); err != nil {
			t.Fatalf("order %s: %s does not validate: %v", d.ID, e.Type(), err)
		}
		switch e := e.(type) {
		case *domain.OrderPaid:
			if e.OrderID != d.ID {
				t.Fatalf("payment of order %s in order %s", e.OrderID, d.ID)
			}
			for _, l := range e.Lines {
				paid[l.LineID] = l.AmountFen
				paidSum += l.AmountFen
			}
		case *domain.OrderCancelled:
			for _, l := range e.Lines {
				if l.AmountFen > paid[l.LineID] {
					t.Fatalf("order %s line %s: refunds %d fen of %d paid", d.ID, l.LineID, l.AmountFen, paid[l.LineID])
				}
			}
		}
	}
	if len(paid) == 0 {
		return
	}
	var o struct {
		SellerPrice    json.RawMessage `json:"orderSellerPrice"`
		SellerDiscount json.RawMessage `json:"sellerDiscount"`
		Items          []struct {
			JdPrice   json.RawMessage `json:"jdPrice"`
			ItemTotal json.RawMessage `json:"itemTotal"`
		} `json:"itemInfoList"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		t.Fatalf("order %s accepted, but its fields do not read: %v", d.ID, err)
	}
	var goods domain.Fen
	for i, it := range o.Items {
		price := yuan(t, it.JdPrice)
		qty, err := strconv.ParseInt(scalar(it.ItemTotal), 10, 64)
		if err != nil {
			t.Fatalf("order %s item %d accepted with itemTotal %s", d.ID, i, it.ItemTotal)
		}
		goods += price * domain.Fen(qty)
	}
	discount, sellerPrice := yuan(t, o.SellerDiscount), yuan(t, o.SellerPrice)
	if paidSum != goods-discount || paidSum != sellerPrice {
		t.Fatalf("order %s: lines add up to %d fen; goods %d less discount %d = %d, orderSellerPrice %d", d.ID, paidSum, goods, discount, goods-discount, sellerPrice)
	}
	for id, v := range paid {
		if v < 0 {
			t.Fatalf("order %s line %s: %d fen", d.ID, id, v)
		}
	}
}

// scalar is a JSON string's or number's text, trimmed as JD's values are.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(string(raw))
}

func yuan(t *testing.T, raw json.RawMessage) domain.Fen {
	t.Helper()
	v, err := domain.ParseYuan(scalar(raw))
	if err != nil {
		t.Fatalf("an accepted order's amount %s: %v", raw, err)
	}
	return v
}
