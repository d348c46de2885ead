package file

import "github.com/loquat-dev/loquat/domain"

// incomeKind: one payment from an enterprise's ledger to a household per row.
var incomeKind = &kind{
	name:     KindIncome,
	required: []string{"household_id", "kind", "amount", "enterprise_id", "occurred_at", "reference"},
	headers: map[string]string{
		"农户编号": "household_id", "户编号": "household_id", "农户ID": "household_id",
		"类型": "kind", "收入类型": "kind", "款项类型": "kind",
		"金额": "amount", "金额（元）": "amount", "金额(元)": "amount", "发放金额": "amount",
		"企业编号": "enterprise_id", "企业ID": "enterprise_id",
		"时间": "occurred_at", "发放时间": "occurred_at", "日期": "occurred_at", "发生时间": "occurred_at",
		"凭证号": "reference", "单据号": "reference", "凭证编号": "reference", "流水号": "reference",
	},
	build: incomeEvent,
}

func incomeEvent(r record) (domain.Event, problems) {
	var p problems
	// Problems are listed in column order.
	e := &domain.IncomeRecorded{HouseholdID: id(r, "household_id", true, &p)}
	// The kind table (names, Chinese names, categories) is the domain's:
	// domain.ParseIncomeKind; the log holds the kind's English name.
	if name := required(r, "kind", &p); name != "" {
		kind, ok := domain.ParseIncomeKind(name)
		if !ok {
			p.addf("kind %q: unknown (want one of %s)", name, domain.IncomeKindNames())
		}
		e.Kind = kind
	}
	fen, fenOK := amount(r, "amount", &p)
	if fenOK && fen <= 0 {
		p.addf("amount %q: must be more than zero", r.get("amount"))
	}
	e.AmountFen = fen
	// Required although the domain allows it empty: the event id is the
	// enterprise and its voucher reference, which alone may repeat.
	e.EnterpriseID = id(r, "enterprise_id", true, &p)
	e.OccurredAt = timestamp(r, "occurred_at", &p)
	e.Reference = id(r, "reference", true, &p)
	if len(p) > 0 {
		return nil, p
	}
	return e, nil
}
