package domain

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Fen is an amount of money in fen (分), the hundredth of a yuan. Every amount
// in Loquat is a Fen: exact integer arithmetic, never floating point.
type Fen int64

// ErrBadAmount is wrapped by every error ParseYuan returns.
var ErrBadAmount = errors.New("bad amount")

// ParseYuan parses a decimal yuan string such as "109.80", "267", "-0.5" or
// "+12.3" into fen without going through float64. At most two decimals are
// accepted: "0.125" is an error, not a rounding.
func ParseYuan(s string) (Fen, error) {
	orig := s
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadAmount)
	}
	neg := false
	switch s[0] {
	case '-':
		neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" && fracPart == "" {
		return 0, fmt.Errorf("%w: %q has no digits", ErrBadAmount, orig)
	}
	if hasDot && fracPart == "" {
		return 0, fmt.Errorf("%w: %q ends with a decimal point", ErrBadAmount, orig)
	}
	for _, part := range []string{intPart, fracPart} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, fmt.Errorf("%w: %q is not a decimal number", ErrBadAmount, orig)
			}
		}
	}
	if len(fracPart) > 2 {
		return 0, fmt.Errorf("%w: %q has more than two decimals (fen is the smallest unit)", ErrBadAmount, orig)
	}
	if intPart == "" {
		intPart = "0"
	}
	yuan, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || yuan > math.MaxInt64/100-1 {
		return 0, fmt.Errorf("%w: %q is out of range", ErrBadAmount, orig)
	}
	for len(fracPart) < 2 {
		fracPart += "0"
	}
	fen, _ := strconv.ParseInt(fracPart, 10, 64) // two checked digits
	v := Fen(yuan*100 + fen)
	if neg {
		v = -v
	}
	return v, nil
}

// MustParseYuan is ParseYuan for constants in tests and demos; it panics on error.
func MustParseYuan(s string) Fen {
	v, err := ParseYuan(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String formats the amount in yuan with two decimals, e.g. "109.80".
func (f Fen) String() string {
	sign := ""
	v := int64(f)
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return "-92233720368547758.08"
		}
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
