package console

import (
	"fmt"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// yuan formats fen as yuan with thousands separators: ¥1,234.56, -¥0.05.
// Integer arithmetic throughout, so the shown figure is the fen exactly.
func yuan(fen domain.Fen) string {
	f := int64(fen)
	sign := ""
	if f < 0 {
		sign, f = "-", -f // a Fen never reaches math.MinInt64 (an amount that large is rejected)
	}
	return fmt.Sprintf("%s¥%s.%02d", sign, group(f/100), f%100)
}

// group writes n with a comma every three digits.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	out := make([]byte, 0, len(s)+len(s)/3)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// pct formats a ratio as a percentage with one decimal: 0.1234 → 12.3%.
func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }

// ratio is a ÷ b, 0 when b is 0.
func ratio(a, b domain.Fen) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// chinaTime shows an RFC 3339 time (or a time.Time) as China time to the
// second; anything else is shown as it is.
func chinaTime(v any) string {
	switch t := v.(type) {
	case time.Time:
		return t.In(domain.ChinaTime).Format("2006-01-02 15:04:05")
	case string:
		if p, err := time.Parse(time.RFC3339, t); err == nil {
			return p.In(domain.ChinaTime).Format("2006-01-02 15:04:05")
		}
		return t
	}
	return fmt.Sprint(v)
}
