package jdsim

import "github.com/loquat-dev/loquat/ingest/internal/platformsim"

// Totals are the figures of one slice of the orders, goods only, freight
// excluded, like Loquat's: GMVFen, RefundsFen and NetFen.
type Totals = platformsim.Totals

// Ledger is what a generated order book must add up to (platformsim.Ledger),
// from the generator's plan: order totals less seller discounts.
type Ledger = platformsim.Ledger
