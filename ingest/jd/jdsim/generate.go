package jdsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// SKU is a product on sale in the shop.
type SKU struct {
	SKUID    string
	Name     string
	PriceFen domain.Fen
}

// DefaultCatalogue is a small shop of the district's produce.
var DefaultCatalogue = []SKU{
	{SKUID: "100012043978", Name: "萍湖枇杷 3斤礼盒", PriceFen: 5990},
	{SKUID: "100012043979", Name: "萍湖枇杷 5斤装", PriceFen: 8990},
	{SKUID: "100012043990", Name: "坑坪扶贫香菇 500g", PriceFen: 3980},
	{SKUID: "100012044001", Name: "埔柳龙眼干 1kg", PriceFen: 6633},
	{SKUID: "100012044017", Name: "石庭花蛤 2斤", PriceFen: 2999},
}

// GenerateOptions configures Generate.
type GenerateOptions struct {
	// From is when the first order may be placed. Required.
	From time.Time
	// Span is how long orders keep being placed after From. Default 48h.
	Span time.Duration
	// Orders is how many orders are paid. Default 2000.
	Orders int
	// NeverPaid is how many more are placed and cancelled unpaid.
	// Default Orders/30 + 1.
	NeverPaid int
	// CancelPercent of the paid orders are cancelled after payment (a full
	// refund), minutes to a day later. Default 6.
	CancelPercent int
	// IndexLag is the longest the `modified` index takes to find a change;
	// each version gets a random lag up to it. Default 0.
	IndexLag time.Duration
	// Catalogue is what the shop sells. Default DefaultCatalogue.
	Catalogue []SKU
	// Seed makes the book: equal options give an equal book.
	Seed uint64
}

// Book is a generated order book and what it must add up to.
type Book struct {
	Orders []Order
	Ledger Ledger
	// Settled is when the last version becomes visible: a poller that has
	// polled past it has seen everything.
	Settled time.Time
}

// planLine is an item of an order; amounts in fen.
type planLine struct {
	sku SKU
	qty int64
}

type planOrder struct {
	id                           string
	lines                        []planLine
	discount, freight            domain.Fen
	created, paid, cancelled     time.Time
	shipped, completed, lastSeen time.Time
}

func (o *planOrder) goods() domain.Fen {
	var sum domain.Fen
	for _, l := range o.lines {
		sum += l.sku.PriceFen * domain.Fen(l.qty)
	}
	return sum
}

// Generate plans an order book: orders placed over Span, each of one to
// three items (now and then one SKU twice), a third with a seller discount
// and a fifth with freight; paid within two minutes, then shipped and
// completed, or cancelled after payment; a few cancelled unpaid. Equal
// options give an equal book.
func Generate(opts GenerateOptions) (*Book, error) {
	if opts.From.IsZero() {
		return nil, errors.New("jdsim: generate: from is zero")
	}
	if opts.Span == 0 {
		opts.Span = 48 * time.Hour
	}
	if opts.Orders == 0 {
		opts.Orders = 2000
	}
	if opts.NeverPaid == 0 {
		opts.NeverPaid = opts.Orders/30 + 1
	}
	if opts.CancelPercent == 0 {
		opts.CancelPercent = 6
	}
	if opts.Catalogue == nil {
		opts.Catalogue = DefaultCatalogue
	}
	for _, s := range opts.Catalogue {
		if s.SKUID == "" || s.PriceFen <= 0 {
			return nil, fmt.Errorf("jdsim: generate: sku %q has no id or no positive price", s.SKUID)
		}
	}
	if opts.Span < time.Minute || opts.Orders < 1 || opts.NeverPaid < 0 || opts.CancelPercent < 0 || opts.CancelPercent > 100 || opts.IndexLag < 0 || len(opts.Catalogue) == 0 {
		return nil, fmt.Errorf("jdsim: generate: options out of range: %+v", opts)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x1d))
	between := func(t time.Time, lo, hi time.Duration) time.Time {
		return t.Add(lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Second)))*time.Second)
	}
	from := opts.From.Truncate(time.Second)
	orders := make([]*planOrder, opts.Orders+opts.NeverPaid)
	for i := range orders {
		o := &planOrder{created: between(from, 0, opts.Span)}
		n := 1
		switch r := rng.IntN(100); {
		case r >= 92:
			n = 3
		case r >= 70:
			n = 2
		}
		for j := range n {
			sku := opts.Catalogue[rng.IntN(len(opts.Catalogue))]
			if j > 0 && rng.IntN(100) < 15 {
				sku = o.lines[0].sku // the same SKU again, as a second item
			}
			o.lines = append(o.lines, planLine{sku: sku, qty: int64(1 + rng.IntN(3))})
		}
		switch r := rng.IntN(100); {
		case r < 15:
			o.discount = min(1000, o.goods()) // a ten-yuan shop coupon
		case r < 33 && o.goods() >= 5:
			o.discount = 1 + domain.Fen(rng.Int64N(int64(o.goods())/5))
		}
		if rng.IntN(100) < 20 {
			o.freight = 600
		}
		if i < opts.Orders {
			o.paid = between(o.created, 5*time.Second, 2*time.Minute)
		}
		orders[i] = o
	}
	slices.SortStableFunc(orders, func(a, b *planOrder) int { return a.created.Compare(b.created) })
	base := 130_000_000_000 + int64(opts.Seed%1000)*100_000_000
	for i, o := range orders {
		o.id = fmt.Sprint(base + int64(i)*7)
		switch {
		case o.paid.IsZero():
			o.cancelled = o.created.Add(30 * time.Minute) // closed unpaid
		case rng.IntN(100) < opts.CancelPercent:
			o.cancelled = between(o.paid, time.Minute, 24*time.Hour)
		case rng.IntN(100) < 70:
			o.shipped = between(o.paid, 2*time.Hour, 30*time.Hour)
			if rng.IntN(100) < 40 {
				o.completed = between(o.shipped, 24*time.Hour, 96*time.Hour)
			}
		}
	}

	b := &Book{Ledger: Ledger{ByDay: map[string]Totals{}}}
	for _, o := range orders {
		b.Ledger.Add(o.paid, o.cancelled, o.goods()-o.discount, nil)
		order, err := o.versions(rng, opts.IndexLag)
		if err != nil {
			return nil, err
		}
		for _, v := range order.Versions {
			if v.Visible.After(b.Settled) {
				b.Settled = v.Visible
			}
		}
		b.Orders = append(b.Orders, order)
	}
	return b, nil
}

// versions renders the order's history as the platform shows it.
func (o *planOrder) versions(rng *rand.Rand, lag time.Duration) (Order, error) {
	out := Order{ID: o.id}
	add := func(at time.Time, state, remark string, end time.Time) error {
		raw, err := json.Marshal(o.render(at, state, remark, end))
		if err != nil {
			return err
		}
		visible := at
		if lag > 0 {
			visible = at.Add(time.Duration(rng.Int64N(int64(lag/time.Second)+1)) * time.Second)
		}
		out.Versions = append(out.Versions, Version{Modified: at, Visible: visible, State: state, JSON: raw})
		return nil
	}
	var err error
	if o.paid.IsZero() {
		err = add(o.cancelled, "TRADE_CANCELED", "(删除)取消", o.cancelled)
		return out, err
	}
	steps := []struct {
		at            time.Time
		state, remark string
	}{
		{o.paid, "WAIT_SELLER_STOCK_OUT", "等待出库"},
		{o.shipped, "WAIT_GOODS_RECEIVE_CONFIRM", "等待确认收货"},
		{o.completed, "FINISHED_L", "完成"},
		{o.cancelled, "TRADE_CANCELED", "(删除)取消"},
	}
	for _, s := range steps {
		if s.at.IsZero() || err != nil {
			continue
		}
		var end time.Time
		if s.state == "FINISHED_L" || s.state == "TRADE_CANCELED" {
			end = s.at
		}
		err = add(s.at, s.state, s.remark, end)
	}
	return out, err
}

type itemJSON struct {
	SkuID      string `json:"skuId"`
	OuterSkuID string `json:"outerSkuId"`
	SkuName    string `json:"skuName"`
	WareID     string `json:"wareId"`
	JdPrice    string `json:"jdPrice"`
	ItemTotal  string `json:"itemTotal"`
	GiftPoint  string `json:"giftPoint"`
	NewStoreID string `json:"newStoreId"`
}

type couponJSON struct {
	OrderID     string `json:"orderId"`
	SkuID       string `json:"skuId"`
	CouponType  string `json:"couponType"`
	CouponPrice string `json:"couponPrice"`
}

// orderJSON is an orderInfoList element, fields in the sample's order.
type orderJSON struct {
	OrderID            string       `json:"orderId"`
	VenderID           string       `json:"venderId"`
	OrderType          string       `json:"orderType"`
	PayType            string       `json:"payType"`
	OrderTotalPrice    string       `json:"orderTotalPrice"`
	OrderSellerPrice   string       `json:"orderSellerPrice"`
	OrderPayment       string       `json:"orderPayment"`
	FreightPrice       string       `json:"freightPrice"`
	SellerDiscount     string       `json:"sellerDiscount"`
	OrderState         string       `json:"orderState"`
	OrderStateRemark   string       `json:"orderStateRemark"`
	OrderRemark        string       `json:"orderRemark"`
	OrderStartTime     string       `json:"orderStartTime"`
	PaymentConfirmTime string       `json:"paymentConfirmTime"`
	OrderEndTime       string       `json:"orderEndTime"`
	Modified           string       `json:"modified"`
	ItemInfoList       []itemJSON   `json:"itemInfoList"`
	CouponDetailList   []couponJSON `json:"couponDetailList"`
}

func chinaTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.ChinaTime).Format(time.DateTime)
}

func (o *planOrder) render(modified time.Time, state, remark string, end time.Time) orderJSON {
	goods := o.goods()
	j := orderJSON{
		OrderID: o.id, VenderID: "10223518", OrderType: "22", PayType: "4-在线支付",
		OrderTotalPrice:    goods.String(),
		OrderSellerPrice:   (goods - o.discount).String(),
		OrderPayment:       (goods - o.discount + o.freight).String(),
		FreightPrice:       o.freight.String(),
		SellerDiscount:     o.discount.String(),
		OrderState:         state,
		OrderStateRemark:   remark,
		OrderStartTime:     chinaTime(o.created),
		PaymentConfirmTime: chinaTime(o.paid),
		OrderEndTime:       chinaTime(end),
		Modified:           chinaTime(modified),
		ItemInfoList:       []itemJSON{},
		CouponDetailList:   []couponJSON{},
	}
	for _, l := range o.lines {
		j.ItemInfoList = append(j.ItemInfoList, itemJSON{
			SkuID: l.sku.SKUID, OuterSkuID: "", SkuName: l.sku.Name, WareID: "2" + l.sku.SKUID,
			JdPrice: l.sku.PriceFen.String(), ItemTotal: fmt.Sprint(l.qty), GiftPoint: "0", NewStoreID: "0",
		})
	}
	if o.discount > 0 {
		j.CouponDetailList = append(j.CouponDetailList, couponJSON{OrderID: o.id, SkuID: o.lines[0].sku.SKUID, CouponType: "20-套装优惠", CouponPrice: o.discount.String()})
	}
	return j
}
