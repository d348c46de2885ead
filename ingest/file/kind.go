package file

import (
	"fmt"
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
	build    func(record) (domain.Event, problems)
}

// kinds lists every kind; header matching tries them in this order.
var kinds = []*kind{ordersKind, incomeKind}

func (k *kind) known(col string) bool {
	return slices.Contains(k.required, col) || slices.Contains(k.optional, col)
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
// ids and amounts with.
func (r record) get(col string) string { return strings.TrimSpace(r[col]) }

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

// timestamp reads RFC 3339 with an offset, or "YYYY-MM-DD HH:MM:SS" in China
// time (how Chinese exports write times). Times are kept in China time so
// events read from CSV and JSONL are equal whatever offset the file used.
func timestamp(r record, col string, p *problems) time.Time {
	v := required(r, col, p)
	if v == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.In(domain.ChinaTime)
	}
	if t, err := domain.ParseChinaTime(v); err == nil {
		return t
	}
	p.addf("%s %q: not RFC 3339 with an offset (2020-05-02T10:21:00+08:00) nor China time YYYY-MM-DD HH:MM:SS", col, v)
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
