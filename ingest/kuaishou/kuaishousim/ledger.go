package kuaishousim

import "github.com/loquat-dev/loquat/ingest/internal/platformsim"

// Totals are the figures of one slice of the orders, goods only, freight
// excluded, like Loquat's: GMVFen, RefundsFen and NetFen.
type Totals = platformsim.Totals

// Ledger is what a generated order book must add up to, computed by the
// generator from its own plan (price × num less the discount), never from
// the answers it serves, so a test can hold a poller's events against it.
type Ledger struct {
	Totals
	OrdersCreated int
	OrdersPaid    int
	// OrdersRefunded counts paid orders closed afterwards (full refunds).
	OrdersRefunded int
	// OrdersNeverPaid counts orders placed and never paid.
	OrdersNeverPaid int
	// ByDay is keyed by the China-time date (YYYY-MM-DD) of the payment or
	// the closing.
	ByDay map[string]Totals
	// ByDistributor is keyed by distributorId, for orders sold by a
	// distributor (达人): the livestream figures.
	ByDistributor map[string]Totals
}

func (l *Ledger) book(day, distributor string, f func(*Totals)) {
	f(&l.Totals)
	d := l.ByDay[day]
	f(&d)
	l.ByDay[day] = d
	if distributor != "" {
		t := l.ByDistributor[distributor]
		f(&t)
		l.ByDistributor[distributor] = t
	}
}
