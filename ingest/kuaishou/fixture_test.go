package kuaishou_test

import (
	"encoding/json"
	"testing"

	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// fixture builds an orderList element shaped like the sample's; times are
// China times; mutate changes the element before it is encoded.
type fixture struct {
	oid                       int64
	status                    int
	created, paid, updated    string
	sent                      string
	price, num, discount, fee int64
	express                   int64
	distributor               int64
	mutate                    func(base, item, cps map[string]any)
}

// paidFixture is an order of num × 39.80, placed at 10:00 and paid at
// 10:00:30, last updated at updated.
func paidFixture(oid int64, updated string, num int64) fixture {
	return fixture{oid: oid, status: 30, created: "2020-05-02 10:00:00", paid: "2020-05-02 10:00:30", updated: updated, price: 3980, num: num}
}

func msOr0(s string) int64 {
	if s == "" {
		return 0
	}
	return ms(s)
}

func (f fixture) element(t *testing.T) []byte {
	t.Helper()
	base := map[string]any{
		"oid": f.oid, "status": f.status, "totalFee": f.price*f.num - f.discount + f.express, "discountFee": f.discount,
		"expressFee": f.express, "payTime": msOr0(f.paid), "createTime": msOr0(f.created), "updateTime": msOr0(f.updated),
		"sendTime": msOr0(f.sent), "recvTime": 0, "buyerOpenId": "buyer-1", "sellerOpenId": "seller-1", "cpsType": 0, "governmentDiscount": 0,
	}
	item := map[string]any{"itemId": 3101934422, "skuId": 2168351009120, "relSkuId": 0, "skuNick": "KP-XG-500", "itemTitle": "坑坪扶贫香菇 500g", "num": f.num, "price": f.price, "originalPrice": f.price}
	cps := map[string]any{"distributorId": f.distributor, "distributorName": "", "kwaiMoneyUserId": 0, "activityUserId": 0}
	if f.mutate != nil {
		f.mutate(base, item, cps)
	}
	b, err := json.Marshal(map[string]any{"orderBaseInfo": base, "orderItemInfo": item, "orderCpsInfo": cps})
	mustNoErr(t, err)
	return b
}

func (f fixture) version(t *testing.T) kuaishousim.Version {
	t.Helper()
	return kuaishousim.Version{Updated: china(f.updated), Status: f.status, JSON: f.element(t)}
}

func (f fixture) order(t *testing.T) kuaishousim.Order {
	t.Helper()
	return kuaishousim.Order{Oid: f.oid, Created: china(f.created), DistributorID: f.distributor, Versions: []kuaishousim.Version{f.version(t)}}
}
