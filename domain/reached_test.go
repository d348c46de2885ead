package domain_test

import (
	"testing"

	"github.com/loquat-dev/loquat/domain"
)

func TestReached(t *testing.T) {
	tests := []struct {
		name string
		net  domain.Fen
		want bool
	}{
		{"sales", 10980, true},
		{"one fen", 1, true},
		{"no sales, or all refunded", 0, false},
		{"refunds beyond sales (a refund of an earlier period)", -550, false},
	}
	for _, tt := range tests {
		if got := domain.Reached(tt.net); got != tt.want {
			t.Errorf("%s: Reached(%d) = %v, want %v", tt.name, tt.net, got, tt.want)
		}
	}
}

func TestCountReached(t *testing.T) {
	tests := []struct {
		name string
		nets map[string]domain.Fen
		want int64
	}{
		{"none", nil, 0},
		{"all reached", map[string]domain.Fen{"h1": 100, "h2": 1}, 2},
		{"zero and negative nets are not reached", map[string]domain.Fen{"h1": 100, "h2": 0, "h3": -40, "h4": 26700}, 2},
		{"only refunds", map[string]domain.Fen{"h1": -100}, 0},
	}
	for _, tt := range tests {
		if got := domain.CountReached(tt.nets); got != tt.want {
			t.Errorf("%s: CountReached(%v) = %d, want %d", tt.name, tt.nets, got, tt.want)
		}
	}
}
