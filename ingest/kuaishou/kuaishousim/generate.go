package kuaishousim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

// SKU is a product on sale in the shop.
type SKU struct {
	SkuID    int64
	ItemID   int64
	Nick     string
	Title    string
	PriceFen int64
}

// Distributor is a seller (达人) whose live room sells the shop's goods.
type Distributor struct {
	ID   int64
	Name string
}

// DefaultCatalogue is a small shop of the district's produce.
var DefaultCatalogue = []SKU{
	{SkuID: 2168351009120, ItemID: 3101934422, Nick: "KP-XG-500", Title: "坑坪扶贫香菇 500g", PriceFen: 3980},
	{SkuID: 2168351009121, ItemID: 3101934423, Nick: "PH-LQ-5J", Title: "萍湖枇杷 5斤装", PriceFen: 8990},
	{SkuID: 2168351009133, ItemID: 3101934430, Nick: "PL-LY-1K", Title: "埔柳龙眼干 1kg", PriceFen: 6633},
	{SkuID: 2168351009140, ItemID: 3101934441, Nick: "ST-HG-2J", Title: "石庭花蛤 2斤", PriceFen: 2999},
}

// DefaultDistributors are the live rooms that sell for the shop.
var DefaultDistributors = []Distributor{
	{ID: 1887203345, Name: "凤凰山助农主播"},
	{ID: 2011550099, Name: "萍湖枇杷哥"},
	{ID: 3300817264, Name: "城厢好物直播间"},
}

// GenerateOptions configures Generate.
type GenerateOptions struct {
	// From is when the first order may be placed. Required.
	From time.Time
	// Span is how long orders keep being placed after From. Default 48h.
	Span time.Duration
	// Orders is how many orders are paid. Default 2000.
	Orders int
	// NeverPaid is how many more are placed and never paid (two thirds of
	// them closed after 30 minutes). Default Orders/30 + 1.
	NeverPaid int
	// CancelPercent of the paid orders are closed after payment (a full
	// refund). Default 6.
	CancelPercent int
	// LivePercent of the orders are sold by a distributor. Default 60.
	LivePercent int
	// IndexLag is the longest the order list takes to show a change; each
	// version gets a random lag up to it. Default 0.
	IndexLag time.Duration
	// Catalogue and Distributors default to DefaultCatalogue and
	// DefaultDistributors.
	Catalogue    []SKU
	Distributors []Distributor
	// Seed makes the book: equal options give an equal book.
	Seed uint64
}

// Book is a generated order book and what it must add up to.
type Book struct {
	Orders []Order
	Ledger Ledger
	// Settled is when the last version becomes visible.
	Settled time.Time
}

type planOrder struct {
	oid                            int64
	sku                            SKU
	num, discount, express         int64
	dist                           *Distributor
	buyer                          string
	created, paid, sent, recv, won time.Time
	closed                         time.Time
}

func (o *planOrder) goods() domain.Fen { return domain.Fen(o.sku.PriceFen*o.num - o.discount) }

// oidBase keeps oids above 2^53, so a consumer reading them through
// float64 fails.
const oidBase = 2_004_300_000_000_000_000

// Generate plans an order book: one-item orders placed over Span, most sold
// by a distributor, some discounted, some with freight; paid within two
// minutes; then shipped, received and succeeded, or closed after payment
// (a full refund), now and then after shipment; a few never paid. Equal
// options give an equal book.
func Generate(opts GenerateOptions) (*Book, error) {
	if opts.From.IsZero() {
		return nil, errors.New("kuaishousim: generate: from is zero")
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
	if opts.LivePercent == 0 {
		opts.LivePercent = 60
	}
	if opts.Catalogue == nil {
		opts.Catalogue = DefaultCatalogue
	}
	if opts.Distributors == nil {
		opts.Distributors = DefaultDistributors
	}
	for _, s := range opts.Catalogue {
		if s.SkuID <= 0 || s.PriceFen <= 0 {
			return nil, fmt.Errorf("kuaishousim: generate: sku %d has no id or no positive price", s.SkuID)
		}
	}
	if opts.Span < time.Minute || opts.Orders < 1 || opts.NeverPaid < 0 || opts.CancelPercent < 0 || opts.CancelPercent > 100 ||
		opts.LivePercent < 0 || opts.LivePercent > 100 || opts.IndexLag < 0 || len(opts.Catalogue) == 0 || len(opts.Distributors) == 0 {
		return nil, fmt.Errorf("kuaishousim: generate: options out of range: %+v", opts)
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x65))
	between := func(t time.Time, lo, hi time.Duration) time.Time {
		return t.Add(lo + time.Duration(rng.Int64N(int64((hi-lo)/time.Millisecond)))*time.Millisecond)
	}
	from := opts.From.Truncate(time.Second)
	orders := make([]*planOrder, opts.Orders+opts.NeverPaid)
	for i := range orders {
		o := &planOrder{
			created: between(from, 0, opts.Span),
			sku:     opts.Catalogue[rng.IntN(len(opts.Catalogue))],
			num:     int64(1 + rng.IntN(3)),
			buyer:   fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()),
		}
		if rng.IntN(100) < opts.LivePercent {
			o.dist = &opts.Distributors[rng.IntN(len(opts.Distributors))]
		}
		if rng.IntN(100) < 30 {
			o.discount = min(o.sku.PriceFen*o.num, 100+rng.Int64N(o.sku.PriceFen*o.num/4+1))
		}
		if rng.IntN(100) < 20 {
			o.express = 800
		}
		if i < opts.Orders {
			o.paid = between(o.created, 5*time.Second, 2*time.Minute)
		}
		orders[i] = o
	}
	slices.SortStableFunc(orders, func(a, b *planOrder) int { return a.created.Compare(b.created) })
	for i, o := range orders {
		o.oid = oidBase + int64(opts.Seed%1000)*1_000_000_000 + int64(i)*13
		switch {
		case o.paid.IsZero():
			if rng.IntN(3) > 0 {
				o.closed = o.created.Add(30 * time.Minute)
			}
		case rng.IntN(100) < opts.CancelPercent:
			o.closed = between(o.paid, time.Minute, 24*time.Hour)
		case rng.IntN(100) < 75:
			o.sent = between(o.paid, 2*time.Hour, 30*time.Hour)
			switch r := rng.IntN(100); {
			case r < 3:
				o.closed = between(o.sent, time.Hour, 48*time.Hour) // refused on delivery, refunded
			case r < 60:
				o.recv = between(o.sent, 24*time.Hour, 72*time.Hour)
				if rng.IntN(2) == 0 {
					o.won = between(o.recv, 24*time.Hour, 72*time.Hour)
				}
			}
		}
	}

	b := &Book{Ledger: Ledger{Ledger: platformsim.Ledger{ByDay: map[string]Totals{}}, ByDistributor: map[string]Totals{}}}
	for _, o := range orders {
		dist := ""
		if o.dist != nil {
			dist = strconv.FormatInt(o.dist.ID, 10)
		}
		b.Ledger.add(o.paid, o.closed, o.goods(), dist)
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
	out := Order{Oid: o.oid, Created: o.created}
	if o.dist != nil {
		out.DistributorID = o.dist.ID
	}
	steps := []struct {
		at     time.Time
		status int
	}{{o.created, 10}, {o.paid, 30}, {o.sent, 40}, {o.recv, 50}, {o.won, 70}, {o.closed, 80}}
	var shown orderJSON
	for _, s := range steps {
		if s.at.IsZero() {
			continue
		}
		shown = o.render(s.at, s.status)
		raw, err := json.Marshal(shown)
		if err != nil {
			return out, err
		}
		visible := s.at
		if lag > 0 {
			visible = s.at.Add(time.Duration(rng.Int64N(int64(lag/time.Millisecond)+1)) * time.Millisecond)
		}
		out.Versions = append(out.Versions, Version{Updated: s.at, Visible: visible, Status: s.status, JSON: raw})
	}
	return out, nil
}

type baseJSON struct {
	Oid                int64  `json:"oid"`
	Status             int    `json:"status"`
	TotalFee           int64  `json:"totalFee"`
	DiscountFee        int64  `json:"discountFee"`
	ExpressFee         int64  `json:"expressFee"`
	PayTime            int64  `json:"payTime"`
	CreateTime         int64  `json:"createTime"`
	UpdateTime         int64  `json:"updateTime"`
	SendTime           int64  `json:"sendTime"`
	RecvTime           int64  `json:"recvTime"`
	BuyerOpenID        string `json:"buyerOpenId"`
	SellerOpenID       string `json:"sellerOpenId"`
	CpsType            int    `json:"cpsType"`
	GovernmentDiscount int64  `json:"governmentDiscount"`
}

type itemJSON struct {
	ItemID        int64  `json:"itemId"`
	SkuID         int64  `json:"skuId"`
	RelSkuID      int64  `json:"relSkuId"`
	SkuNick       string `json:"skuNick"`
	ItemTitle     string `json:"itemTitle"`
	Num           int64  `json:"num"`
	Price         int64  `json:"price"`
	OriginalPrice int64  `json:"originalPrice"`
}

type cpsJSON struct {
	DistributorID   int64  `json:"distributorId"`
	DistributorName string `json:"distributorName"`
	KwaiMoneyUserID int64  `json:"kwaiMoneyUserId"`
	ActivityUserID  int64  `json:"activityUserId"`
}

// orderJSON is an orderList element, fields in the sample's order.
type orderJSON struct {
	Base baseJSON `json:"orderBaseInfo"`
	Item itemJSON `json:"orderItemInfo"`
	Cps  cpsJSON  `json:"orderCpsInfo"`
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// render is the order as shown at a step: times of later steps are not
// known yet.
func (o *planOrder) render(at time.Time, status int) orderJSON {
	known := func(t time.Time) int64 {
		if t.IsZero() || t.After(at) {
			return 0
		}
		return ms(t)
	}
	j := orderJSON{
		Base: baseJSON{
			Oid: o.oid, Status: status,
			TotalFee: o.sku.PriceFen*o.num - o.discount + o.express, DiscountFee: o.discount, ExpressFee: o.express,
			PayTime: known(o.paid), CreateTime: ms(o.created), UpdateTime: ms(at),
			SendTime: known(o.sent), RecvTime: known(o.recv),
			BuyerOpenID: o.buyer, SellerOpenID: "0f8e1d7c6b5a4c3d2e1f0a9b8c7d6e5f",
		},
		Item: itemJSON{
			ItemID: o.sku.ItemID, SkuID: o.sku.SkuID, SkuNick: o.sku.Nick, ItemTitle: o.sku.Title,
			Num: o.num, Price: o.sku.PriceFen, OriginalPrice: o.sku.PriceFen + o.sku.PriceFen/8,
		},
	}
	if o.dist != nil {
		j.Base.CpsType = 1
		j.Cps = cpsJSON{DistributorID: o.dist.ID, DistributorName: o.dist.Name}
	}
	return j
}
