package domain

import (
	"strings"
)

// Income categories: the four of the national monitoring system
// (全国防止返贫监测信息系统) that district staff report a household's income in.
const (
	CategoryOperating = "operating" // 经营性: attributed net sales and procurement payments
	CategoryWage      = "wage"      // 工资性: wages
	CategoryProperty  = "property"  // 财产性: dividends and rent
	CategoryTransfer  = "transfer"  // 转移性: subsidies
)

// incomeKind is one kind of recorded income: its name in the log, its
// category and the other names a ledger may give it.
type incomeKind struct {
	kind, category string
	names          []string
}

// incomeKinds is the table of recorded-income kinds. A kind's name in the
// log never changes; the names beside it are what enterprises' ledgers
// write (ingest/file reads any of them). Attributed sales are operating
// income too, but are never recorded: the projector attributes them.
var incomeKinds = []incomeKind{
	{IncomeProcurement, CategoryOperating, []string{"收购款", "收购", "农产品收购", "订单收购"}},
	{IncomeWage, CategoryWage, []string{"务工", "工资", "务工收入", "工资收入", "劳务", "劳务费"}},
	{IncomeDividend, CategoryProperty, []string{"分红", "股金分红", "入股分红"}},
	{IncomeRent, CategoryProperty, []string{"租金", "土地租金", "土地流转", "流转费", "房租"}},
	{IncomeSubsidy, CategoryTransfer, []string{"补贴", "补助", "奖补", "产业奖补"}},
}

// IncomeKinds are the kinds of recorded income, as the log writes them.
func IncomeKinds() []string {
	out := make([]string, len(incomeKinds))
	for i, k := range incomeKinds {
		out[i] = k.kind
	}
	return out
}

// IncomeCategoryOf is the category of a recorded-income kind; ok is false
// for a kind that is not one of IncomeKinds.
func IncomeCategoryOf(kind string) (category string, ok bool) {
	for _, k := range incomeKinds {
		if k.kind == kind {
			return k.category, true
		}
	}
	return "", false
}

// ParseIncomeKind reads a ledger's name of a kind: the kind itself
// (procurement, wage, dividend, rent, subsidy; any case) or one of its
// Chinese names (收购款, 务工, 工资, 分红, 租金, 补贴 …, see incomeKinds).
func ParseIncomeKind(s string) (kind string, ok bool) {
	s = strings.TrimSpace(s)
	for _, k := range incomeKinds {
		if strings.EqualFold(s, k.kind) {
			return k.kind, true
		}
		for _, n := range k.names {
			if s == n {
				return k.kind, true
			}
		}
	}
	return "", false
}

// IncomeKindNames lists every accepted name of every kind, for error
// messages: "procurement (收购款, 收购, …); wage (…); …".
func IncomeKindNames() string {
	var b strings.Builder
	for i, k := range incomeKinds {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k.kind + " (" + strings.Join(k.names, ", ") + ")")
	}
	return b.String()
}

// IncomeByCategory is a household's programme income split by category,
// in fen. Its Total is the household's income gain.
type IncomeByCategory struct {
	OperatingFen Fen `json:"operating_fen"`
	WageFen      Fen `json:"wage_fen"`
	PropertyFen  Fen `json:"property_fen"`
	TransferFen  Fen `json:"transfer_fen"`
}

// Add adds an amount to a category; it reports false (and adds nothing)
// for an unknown category.
func (c *IncomeByCategory) Add(category string, fen Fen) bool {
	switch category {
	case CategoryOperating:
		c.OperatingFen += fen
	case CategoryWage:
		c.WageFen += fen
	case CategoryProperty:
		c.PropertyFen += fen
	case CategoryTransfer:
		c.TransferFen += fen
	default:
		return false
	}
	return true
}

// Total is the sum of the four categories.
func (c IncomeByCategory) Total() Fen {
	return c.OperatingFen + c.WageFen + c.PropertyFen + c.TransferFen
}
