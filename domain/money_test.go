package domain_test

import (
	"errors"
	"testing"

	"github.com/loquat-dev/loquat/domain"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want domain.Fen
		bad  bool
	}{
		{in: "109.80", want: 10980},
		{in: "0.07", want: 7},
		{in: "267", want: 26700},
		{in: "267.0", want: 26700},
		{in: "-5.5", want: -550},
		{in: "+1.01", want: 101},
		{in: ".5", want: 50},
		{in: " 1260.50 ", want: 126050},
		{in: "92233720368547757.00", want: 9223372036854775700},
		{in: "0.125", bad: true},
		{in: "1.", bad: true},
		{in: "", bad: true},
		{in: "-", bad: true},
		{in: "1e3", bad: true},
		{in: "1,000.00", bad: true},
		{in: "NaN", bad: true},
		{in: "12.3.4", bad: true},
		{in: "99999999999999999999", bad: true},
	}
	for _, tt := range tests {
		got, err := domain.ParseYuan(tt.in)
		if tt.bad {
			if !errors.Is(err, domain.ErrBadAmount) {
				t.Errorf("ParseYuan(%q) = %d, %v; want ErrBadAmount", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d fen", tt.in, got, err, tt.want)
		}
	}
}

func TestFenString(t *testing.T) {
	for fen, want := range map[domain.Fen]string{10980: "109.80", 7: "0.07", -550: "-5.50", 0: "0.00"} {
		if got := fen.String(); got != want {
			t.Errorf("Fen(%d).String() = %q, want %q", fen, got, want)
		}
	}
}

func FuzzParseYuanRoundTrip(f *testing.F) {
	for _, s := range []string{"109.80", "0.07", "-5.5", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := domain.ParseYuan(s)
		if err != nil {
			return
		}
		back, err := domain.ParseYuan(v.String())
		if err != nil || back != v {
			t.Fatalf("%q parsed to %d fen, formatted %q, reparsed %d (%v)", s, v, v.String(), back, err)
		}
	})
}
