package file

import "github.com/loquat-dev/loquat/domain"

// incomeKind: one payment from an enterprise's ledger to a household per row.
var incomeKind = &kind{
	name:     KindIncome,
	required: []string{"household_id", "kind", "amount", "enterprise_id", "occurred_at", "reference"},
	build:    incomeEvent,
}

func incomeEvent(r record) (domain.Event, problems) {
	var p problems
	// Problems are listed in column order.
	e := &domain.IncomeRecorded{HouseholdID: required(r, "household_id", &p), Kind: required(r, "kind", &p)}
	switch e.Kind {
	case "", domain.IncomeProcurement, domain.IncomeWage, domain.IncomeDividend:
	default:
		p.addf("kind %q: unknown (want procurement, wage or dividend)", e.Kind)
	}
	fen, fenOK := amount(r, "amount", &p)
	if fenOK && fen <= 0 {
		p.addf("amount %q: must be more than zero", r.get("amount"))
	}
	e.AmountFen = fen
	// Required although the domain allows it empty: the event id is the
	// enterprise and its voucher reference, which alone may repeat.
	e.EnterpriseID = required(r, "enterprise_id", &p)
	e.OccurredAt = timestamp(r, "occurred_at", &p)
	e.Reference = required(r, "reference", &p)
	if len(p) > 0 {
		return nil, p
	}
	return e, nil
}
