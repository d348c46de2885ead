package kuaishousim

import (
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

// Totals are the figures of one slice of the orders, goods only, freight
// excluded, like Loquat's: GMVFen, RefundsFen and NetFen.
type Totals = platformsim.Totals

// Ledger is what a generated order book must add up to (platformsim.Ledger),
// from the generator's plan: price × num less the discount.
type Ledger struct {
	platformsim.Ledger
	// ByDistributor is keyed by distributorId, for orders sold by a
	// distributor (达人): the livestream figures.
	ByDistributor map[string]Totals
}

// add books an order (platformsim.Ledger.Add), and by its distributor
// when it has one.
func (l *Ledger) add(paid, closed time.Time, fen domain.Fen, distributor string) {
	var byDistributor func(func(*Totals))
	if distributor != "" {
		byDistributor = func(change func(*Totals)) {
			t := l.ByDistributor[distributor]
			change(&t)
			l.ByDistributor[distributor] = t
		}
	}
	l.Add(paid, closed, fen, byDistributor)
}
