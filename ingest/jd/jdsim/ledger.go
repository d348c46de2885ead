package jdsim

import "github.com/loquat-dev/loquat/ingest/internal/platformsim"

// Totals are the figures of one slice of the orders, goods only, freight
// excluded, like Loquat's: GMVFen, RefundsFen and NetFen.
type Totals = platformsim.Totals

// Ledger is what a generated order book must add up to, computed by the
// generator from its own plan (order totals less seller discounts), never
// from the answers it serves, so a test can hold a poller's events against it.
type Ledger struct {
	Totals
	OrdersCreated int
	OrdersPaid    int
	// OrdersRefunded counts paid orders cancelled afterwards (full refunds).
	OrdersRefunded int
	// OrdersNeverPaid counts orders cancelled before payment.
	OrdersNeverPaid int
	// ByDay is keyed by the China-time date (YYYY-MM-DD) of the payment or
	// the cancellation.
	ByDay map[string]Totals
}

func (l *Ledger) book(day string, f func(*Totals)) {
	f(&l.Totals)
	d := l.ByDay[day]
	f(&d)
	l.ByDay[day] = d
}
