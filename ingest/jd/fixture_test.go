package jd_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// item is one itemInfoList element of a fixture.
type item struct {
	sku, price string
	qty        int
}

// fixture builds an orderInfoList element shaped like the sample's.
// sellerPrice, when empty, is the items' total less discount; mutate
// changes the element before it is encoded (for malformed orders).
type fixture struct {
	id, state               string
	created, paid, modified string
	discount, sellerPrice   string
	items                   []item
	mutate                  func(map[string]any)
}

func (f fixture) element(t *testing.T) []byte {
	t.Helper()
	var total domain.Fen
	items := []any{}
	for _, it := range f.items {
		if p, err := domain.ParseYuan(it.price); err == nil {
			total += p * domain.Fen(it.qty)
		}
		items = append(items, map[string]any{
			"skuId": it.sku, "outerSkuId": "", "skuName": "商品 " + it.sku, "wareId": "2" + it.sku,
			"jdPrice": it.price, "itemTotal": fmt.Sprint(it.qty), "giftPoint": "0", "newStoreId": "0",
		})
	}
	discount := f.discount
	if discount == "" {
		discount = "0.00"
	}
	seller := f.sellerPrice
	if seller == "" {
		seller = (total - domain.MustParseYuan(discount)).String()
	}
	m := map[string]any{
		"orderId": f.id, "venderId": "10223518", "orderType": "22", "payType": "4-在线支付",
		"orderTotalPrice": total.String(), "orderSellerPrice": seller, "orderPayment": seller,
		"freightPrice": "0.00", "sellerDiscount": discount, "orderState": f.state, "orderStateRemark": "",
		"orderRemark": "", "orderStartTime": f.created, "paymentConfirmTime": f.paid, "orderEndTime": "",
		"modified": f.modified, "itemInfoList": items, "couponDetailList": []any{},
	}
	if f.mutate != nil {
		f.mutate(m)
	}
	b, err := json.Marshal(m)
	mustNoErr(t, err)
	return b
}

// order is the fixture as a one-version simulator order.
func (f fixture) order(t *testing.T) jdsim.Order {
	t.Helper()
	return jdsim.Order{ID: f.id, Versions: []jdsim.Version{f.version(t)}}
}

func (f fixture) version(t *testing.T) jdsim.Version {
	t.Helper()
	return jdsim.Version{Modified: china(f.modified), State: f.state, JSON: f.element(t)}
}

// paidFixture is a paid order waiting to ship, placed and paid at 10:00 and
// last modified at modified.
func paidFixture(id, modified, discount string, items ...item) fixture {
	return fixture{
		id: id, state: "WAIT_SELLER_STOCK_OUT",
		created: "2020-05-02 10:00:00", paid: "2020-05-02 10:00:30", modified: modified,
		discount: discount, items: items,
	}
}
