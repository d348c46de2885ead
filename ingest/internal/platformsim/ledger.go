package platformsim

import (
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Ledger is what a generated order book must add up to, computed by the
// generator from its own plan, never from the answers it serves, so a test
// can hold a poller's events against it.
type Ledger struct {
	Totals
	OrdersCreated int
	OrdersPaid    int
	// OrdersRefunded counts paid orders cancelled (closed) afterwards: full
	// refunds.
	OrdersRefunded int
	// OrdersNeverPaid counts orders placed and never paid.
	OrdersNeverPaid int
	// ByDay is keyed by the China-time date (YYYY-MM-DD) of the payment or
	// the cancellation.
	ByDay map[string]Totals
}

// Add books one generated order: paid at paid (zero: never) for fen, and
// refunded in full at refunded (zero: not refunded). also, if not nil, books
// each change into another slice of the figures too (by distributor).
func (l *Ledger) Add(paid, refunded time.Time, fen domain.Fen, also func(change func(*Totals))) {
	l.OrdersCreated++
	if paid.IsZero() {
		l.OrdersNeverPaid++
		return
	}
	l.OrdersPaid++
	l.book(domain.Day(paid), func(t *Totals) { t.AddSale(fen) }, also)
	if !refunded.IsZero() {
		l.OrdersRefunded++
		l.book(domain.Day(refunded), func(t *Totals) { t.AddRefund(fen) }, also)
	}
}

func (l *Ledger) book(day string, change func(*Totals), also func(func(*Totals))) {
	change(&l.Totals)
	d := l.ByDay[day]
	change(&d)
	l.ByDay[day] = d
	if also != nil {
		also(change)
	}
}
