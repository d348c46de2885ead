package douyinsim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// LiveDay is a simulated livestream day: the orders in their final state
// (for Platform.AddOrders), the messages the platform pushes about them, and
// the figures they must produce.
type LiveDay struct {
	Orders []ShopOrderDetail
	// Messages are in push order (time order), duplicates included.
	Messages []Message
	Ledger   Ledger
}

// planLine is one line of an order as generated; amounts are fen.
type planLine struct {
	sid                 int64
	sku                 SKU
	skuID               int64
	qty                 int64
	origin, promo, post int64
}

func (l planLine) goods() int64 { return l.origin - l.promo }
func (l planLine) pay() int64   { return l.goods() + l.post }

// planRefund is a refund (售后) of one line.
type planRefund struct {
	aftersaleID int64
	line        int
	// amount is refund_amount, freight included; post is refund_post_amount.
	amount, post    int64
	applied, refund time.Time
}

// planOrder is an order's whole life as generated; zero times did not happen.
type planOrder struct {
	pid                                          int64
	live                                         bool
	buyer                                        string
	lines                                        []planLine
	created, paid, cancelled, shipped, completed time.Time
	refund                                       *planRefund
}

func (o *planOrder) sids() []int64 {
	s := make([]int64, len(o.lines))
	for i, l := range o.lines {
		s[i] = l.sid
	}
	return s
}

// Id ranges, each > 2^53 so a consumer that goes through float64 fails:
// p_id 4.8e18 + day·1e11 + (seed mod 100)·1e9 + order·100 (+1, +2 for lines),
// aftersale_id 7.0e18 + …, msg_id 7.29e18 + …, all below 2^63.
const (
	pidBase       = 4_800_000_000_000_000_000
	aftersaleBase = 7_000_000_000_000_000_000
	msgIDBase     = 7_290_000_000_000_000_000
)

type generator struct {
	opts      DayOptions
	rng       *rand.Rand
	day       time.Time // midnight, China time
	idBase    int64     // day and seed part of every id
	liveStart time.Time
	minutes   []float64 // cumulative order weight of each live minute
}

// GenerateLiveDay simulates one livestream day of the shop: opts.Orders paid
// orders of one or two lines, most placed in the live room and bursting in
// the minutes the anchor presents loquats; about 3% refunded (partly or fully
// through 206, a few cancelled after payment through 106); a few orders never
// paid; shipments and completions; and a share of messages pushed twice.
// Equal options give an equal day.
func GenerateLiveDay(opts DayOptions) (*LiveDay, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	day, _ := domain.ParseDay(opts.Date) // validated
	dayIndex := int64(day.Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, domain.ChinaTime)).Hours() / 24)
	g := &generator{
		opts:      opts,
		rng:       rand.New(rand.NewPCG(opts.Seed, 0x10a9_a7)),
		day:       day,
		idBase:    (dayIndex%10_000_000)*100_000_000_000 + int64(opts.Seed%100)*1_000_000_000,
		liveStart: day.Add(opts.LiveStart),
	}
	g.weighMinutes()
	orders := g.planOrders()
	return &LiveDay{
		Orders:   g.details(orders),
		Messages: g.messages(orders),
		Ledger:   newLedger(orders),
	}, nil
}

// presented is the catalogue index of the SKU the anchor presents at t.
func (g *generator) presented(t time.Time) int {
	seg := int(t.Sub(g.liveStart) / g.opts.SegmentLength)
	return seg % len(g.opts.Catalogue)
}

// weighMinutes gives each live minute its share of orders: loquat segments
// sell three times as much as others, and their first three minutes (the
// anchor's flash sale, 秒杀) fifteen times as much.
func (g *generator) weighMinutes() {
	n := int(g.opts.LiveLength / time.Minute)
	g.minutes = make([]float64, n)
	sum := 0.0
	for m := range n {
		t := g.liveStart.Add(time.Duration(m) * time.Minute)
		w := 2.0
		if g.opts.Catalogue[g.presented(t)].Product == ProductLoquat {
			w = 6
			if t.Sub(g.liveStart)%g.opts.SegmentLength < 3*time.Minute {
				w = 30
			}
		}
		sum += w
		g.minutes[m] = sum
	}
}

func (g *generator) liveTime() time.Time {
	x := g.rng.Float64() * g.minutes[len(g.minutes)-1]
	m := sort.SearchFloat64s(g.minutes, x)
	m = min(m, len(g.minutes)-1)
	return g.liveStart.Add(time.Duration(m)*time.Minute + time.Duration(g.rng.IntN(60))*time.Second)
}

// between returns a time uniformly in [t+lo, t+hi), whole seconds.
func (g *generator) between(t time.Time, lo, hi time.Duration) time.Time {
	return t.Add(lo + time.Duration(g.rng.Int64N(int64((hi-lo)/time.Second)))*time.Second)
}

func (g *generator) planOrders() []*planOrder {
	paid, unpaid := g.opts.Orders, max(1, g.opts.Orders/50)
	orders := make([]*planOrder, paid+unpaid)
	for i := range orders {
		o := &planOrder{buyer: fmt.Sprintf("1@#%016x", g.rng.Uint64())}
		// 4% are bought from the shop window (橱窗), outside the live room.
		o.live = g.rng.IntN(100) >= 4
		first := g.rng.IntN(len(g.opts.Catalogue))
		if o.live {
			o.created = g.liveTime()
			if g.rng.IntN(100) < 85 {
				first = g.presented(o.created)
			}
		} else {
			o.created = g.between(g.day, 8*time.Hour, 24*time.Hour)
		}
		o.lines = append(o.lines, g.line(first))
		if n := len(g.opts.Catalogue); n > 1 && g.rng.IntN(100) < 20 {
			o.lines = append(o.lines, g.line((first+1+g.rng.IntN(n-1))%n))
		}
		if g.rng.IntN(100) < 10 {
			o.lines[0].post = 600 // freight, paid with the first line
		}
		orders[i] = o
	}
	// The never-paid orders are drawn among all, then ids follow creation time.
	for _, i := range g.rng.Perm(len(orders))[:paid] {
		o := orders[i]
		o.paid = g.between(o.created, 3*time.Second, 90*time.Second)
	}
	sort.SliceStable(orders, func(i, j int) bool { return orders[i].created.Before(orders[j].created) })
	for i, o := range orders {
		o.pid = pidBase + g.idBase + int64(i)*100
		for j := range o.lines {
			o.lines[j].sid = o.pid + 1 + int64(j)
		}
	}
	g.planAfterSales(orders)
	return orders
}

func (g *generator) line(sku int) planLine {
	s := g.opts.Catalogue[sku]
	id, _ := strconv.ParseInt(s.SKUID, 10, 64) // validated
	qty := int64(1)
	switch r := g.rng.IntN(10); {
	case r >= 9:
		qty = 3
	case r >= 6:
		qty = 2
	}
	l := planLine{sku: s, skuID: id, qty: qty, origin: int64(s.PriceFen) * qty}
	if g.rng.IntN(100) < 30 {
		l.promo = l.origin * 5 / 100 // a 5% coupon
	}
	return l
}

// planAfterSales decides refunds, cancellations, shipments and completions.
func (g *generator) planAfterSales(orders []*planOrder) {
	var paid, unpaid []*planOrder
	for _, o := range orders {
		if o.paid.IsZero() {
			unpaid = append(unpaid, o)
		} else {
			paid = append(paid, o)
		}
	}
	// Half the unpaid orders are closed by the platform after 30 minutes.
	for i, o := range unpaid {
		if i%2 == 0 {
			o.cancelled = o.created.Add(30 * time.Minute)
		}
	}
	refunds := (len(paid)*3 + 50) / 100
	cancels := 0
	if refunds > 0 {
		cancels = max(1, refunds/5)
	}
	perm := g.rng.Perm(len(paid))
	for k, i := range perm[:refunds] {
		o := paid[i]
		if k < cancels { // cancelled before shipment: every line refunded
			o.cancelled = g.between(o.paid, time.Minute, 20*time.Minute)
			continue
		}
		r := &planRefund{aftersaleID: aftersaleBase + g.idBase + int64(k), line: g.rng.IntN(len(o.lines))}
		l := o.lines[r.line]
		if g.rng.IntN(2) == 0 { // the whole line, its freight too
			r.amount, r.post = l.pay(), l.post
		} else { // half the goods, as agreed with the buyer
			r.amount = max(1, l.goods()/2)
		}
		// A third are refunded within minutes (未发货仅退款), so a shuffled
		// push can bring the refund before the payment.
		if g.rng.IntN(3) == 0 {
			r.refund = g.between(o.paid, 2*time.Minute, 10*time.Minute)
		} else {
			r.refund = g.between(o.paid, time.Hour, 20*time.Hour)
		}
		r.applied = g.between(o.paid, 0, r.refund.Sub(o.paid))
		o.refund = r
	}
	for _, o := range paid {
		if !o.cancelled.IsZero() || g.rng.IntN(100) >= 60 {
			continue
		}
		o.shipped = g.between(g.day.AddDate(0, 0, 1), 9*time.Hour, 18*time.Hour)
		if g.rng.IntN(100) < 30 {
			o.completed = g.between(o.shipped, 48*time.Hour, 96*time.Hour)
		}
	}
}
