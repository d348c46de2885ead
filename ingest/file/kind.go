package file

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Kinds of file, as reported in Summary.Kind.
const (
	KindOrders = "orders"
	KindIncome = "income"
)

// kind is what a file holds: its columns and how one row becomes an event.
type kind struct {
	name     string
	required []string
	optional []string
	// headers maps the other names a header may give a column (the Chinese
	// an office writes: 订单号, 金额, ...) to the column.
	headers map[string]string
	build   func(record) (domain.Event, problems)
}

// kinds lists every kind; header matching tries them in this order.
var kinds = []*kind{ordersKind, incomeKind}

func (k *kind) known(col string) bool {
	return slices.Contains(k.required, col) || slices.Contains(k.optional, col)
}

// column returns the column a header name stands for: itself, or the
// column it is another name of.
func (k *kind) column(name string) string {
	if col, ok := k.headers[name]; ok {
		return col
	}
	return name
}

// valueAliases map the Chinese an office writes in a column to the value
// Loquat uses, per column; a value not listed is used as written. The
// income kinds' names are the domain's table (domain.ParseIncomeKind, read
// in incomeEvent), which gives each kind its category too.
var valueAliases = map[string]map[string]string{
	"platform": {"抖音": domain.PlatformDouyin, "抖店": domain.PlatformDouyin, "京东": domain.PlatformJD, "快手": domain.PlatformKuaishou,
		"832平台": domain.Platform832, "脱贫地区农副产品网络销售平台": domain.Platform832, "线下": domain.PlatformFile},
	"event": {"支付": "paid", "已支付": "paid", "付款": "paid", "已付款": "paid", "退款": "refunded", "已退款": "refunded", "退款成功": "refunded"},
}

// columnsText lists the columns for error messages, e.g. "a,b (c optional)".
func (k *kind) columnsText() string {
	s := strings.Join(k.required, ",")
	if len(k.optional) > 0 {
		s += " (" + strings.Join(k.optional, ",") + " optional)"
	}
	return s
}

// record is one row's values by column name; a missing column reads as "".
type record map[string]string

// get returns a column's value without surrounding spaces, which exports pad
// ids and amounts with, and in Loquat's words where the column has
// valueAliases.
func (r record) get(col string) string {
	v := strings.TrimSpace(r[col])
	if canonical, ok := valueAliases[col][v]; ok {
		return canonical
	}
	return v
}

// problems are what is wrong with one row, each naming its column.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func required(r record, col string, p *problems) string {
	v := r.get(col)
	if v == "" {
		p.addf("%s: missing", col)
	}
	return v
}

// maxIDBytes bounds an id: ids key orders, lines and payments, and no
// platform's is longer.
const maxIDBytes = 128

// excelRounded is how Excel writes a long number it has rounded to 15
// digits (an order id typed into a number cell): 6.82394112078122E+18.
var excelRounded = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+$`)

// id reads an id column: required when needed, at most maxIDBytes, and not
// a number Excel has rounded (its digits are lost: the row would key a
// different order).
func id(r record, col string, needed bool, p *problems) string {
	v := r.get(col)
	switch {
	case v == "":
		if needed {
			p.addf("%s: missing", col)
		}
	case len(v) > maxIDBytes:
		p.addf("%s: longer than %d bytes", col, maxIDBytes)
	case excelRounded.MatchString(v):
		p.addf("%s %q: a number Excel rounded to 15 digits; format the column as text and enter the id again", col, v)
	}
	return v
}

// amount parses a yuan amount exactly (domain.ParseYuan, never float64); ok
// is false when the value is missing or malformed (already a problem).
func amount(r record, col string, p *problems) (fen domain.Fen, ok bool) {
	v := required(r, col, p)
	if v == "" {
		return 0, false
	}
	f, err := domain.ParseYuan(v)
	if err != nil {
		p.addf("%s %q: %v", col, v, err)
		return 0, false
	}
	return f, true
}

// chinaLayouts are the times without an offset that exports and Excel
// write, read as China time: 2020-05-02 10:21:00, 2020/5/2 10:21, a date
// alone (midnight). Go's "1" and "2" take one or two digits.
var chinaLayouts = []string{
	"2006-1-2 15:04:05", "2006-1-2 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04",
	"2006-1-2", "2006/1/2",
}

// timestamp reads RFC 3339 with an offset, or a time without one in China
// time (chinaLayouts: how Chinese exports and Excel write times). Times are
// kept in China time so events read from CSV, JSONL and xlsx are equal
// whatever offset the file used.
func timestamp(r record, col string, p *problems) time.Time {
	v := required(r, col, p)
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(domain.ChinaTime)
	}
	for _, layout := range chinaLayouts {
		if t, err := time.ParseInLocation(layout, v, domain.ChinaTime); err == nil {
			return t
		}
	}
	p.addf("%s %q: not RFC 3339 with an offset (2020-05-02T10:21:00+08:00) nor China time (2020-05-02 10:21:00, 2020/5/2 10:21, 2020-05-02)", col, v)
	return time.Time{}
}

// quantity reads a positive integer; an empty value is a problem only when
// the column is needed.
func quantity(r record, col string, needed bool, p *problems) int64 {
	v := r.get(col)
	if v == "" {
		if needed {
			p.addf("%s: missing", col)
		}
		return 0
	}
	q, err := strconv.ParseInt(v, 10, 64)
	if err != nil || q <= 0 {
		p.addf("%s %q: not a positive integer", col, v)
	}
	return q
}
