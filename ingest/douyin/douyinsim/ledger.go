package douyinsim

import (
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Totals are the figures of one slice of the day. Amounts are goods only,
// freight excluded, like Loquat's.
type Totals struct {
	GMVFen     domain.Fen
	RefundsFen domain.Fen
	NetFen     domain.Fen
	// Quantity is the units paid for.
	Quantity int64
}

func (t *Totals) sale(amount, qty int64) {
	t.GMVFen += domain.Fen(amount)
	t.NetFen += domain.Fen(amount)
	t.Quantity += qty
}

func (t *Totals) refund(amount int64) {
	t.RefundsFen += domain.Fen(amount)
	t.NetFen -= domain.Fen(amount)
}

// Ledger is what a simulated day must add up to, computed by the generator
// from its own plan, not from messages or order details, so a test can hold
// an ingestion pipeline's figures against it.
type Ledger struct {
	Totals
	OrdersCreated int
	OrdersPaid    int
	// OrdersRefunded counts paid orders with a refund or a cancellation.
	OrdersRefunded int
	// BySKU is keyed by sku_id; sales count at payment, refunds at refund.
	BySKU map[string]Totals
	// ByDay is keyed by China-time date (YYYY-MM-DD) of payment or refund.
	ByDay map[string]Totals
}

// RefundShare is the share of paid orders with a refund, 0 to 1.
func (l Ledger) RefundShare() float64 {
	if l.OrdersPaid == 0 {
		return 0
	}
	return float64(l.OrdersRefunded) / float64(l.OrdersPaid)
}

func newLedger(orders []*planOrder) Ledger {
	l := Ledger{BySKU: map[string]Totals{}, ByDay: map[string]Totals{}}
	book := func(sku string, at time.Time, f func(*Totals)) {
		f(&l.Totals)
		s, d := l.BySKU[sku], l.ByDay[domain.Day(at)]
		f(&s)
		f(&d)
		l.BySKU[sku], l.ByDay[domain.Day(at)] = s, d
	}
	for _, o := range orders {
		l.OrdersCreated++
		if o.paid.IsZero() {
			continue
		}
		l.OrdersPaid++
		for _, ln := range o.lines {
			book(ln.sku.SKUID, o.paid, func(t *Totals) { t.sale(ln.goods(), ln.qty) })
		}
		if !o.cancelled.IsZero() {
			l.OrdersRefunded++
			for _, ln := range o.lines {
				book(ln.sku.SKUID, o.cancelled, func(t *Totals) { t.refund(ln.goods()) })
			}
		}
		if r := o.refund; r != nil {
			l.OrdersRefunded++
			ln := o.lines[r.line]
			book(ln.sku.SKUID, r.refund, func(t *Totals) { t.refund(r.amount - r.post) })
		}
	}
	return l
}
