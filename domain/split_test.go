package domain_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

func TestSplitLargestRemainder(t *testing.T) {
	tests := []struct {
		name    string
		amount  domain.Fen
		weights []int64
		want    []domain.Fen
	}{
		{"even", 100, []int64{1, 1}, []domain.Fen{50, 50}},
		{"tie goes to earlier", 100, []int64{1, 1, 1}, []domain.Fen{34, 33, 33}},
		{"largest remainder wins over order", 10, []int64{1, 2}, []domain.Fen{3, 7}},
		{"basis points", 12800, []int64{6500, 500, 3000}, []domain.Fen{8320, 640, 3840}},
		{"negative mirrors positive", -100, []int64{1, 1, 1}, []domain.Fen{-34, -33, -33}},
		{"zero weight gets nothing", 7, []int64{0, 1, 0}, []domain.Fen{0, 7, 0}},
		{"zero amount", 0, []int64{3, 2}, []domain.Fen{0, 0}},
		{"max amount", math.MaxInt64, []int64{1, 1}, []domain.Fen{math.MaxInt64/2 + 1, math.MaxInt64 / 2}},
		{"min amount", math.MinInt64, []int64{1, 1}, []domain.Fen{math.MinInt64 / 2, math.MinInt64 / 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.SplitLargestRemainder(tt.amount, tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Fatalf("split %d by %v = %v fen, want %v", tt.amount, tt.weights, got, tt.want)
				}
			}
		})
	}
}

func TestSplitRejectsBadWeights(t *testing.T) {
	for _, w := range [][]int64{nil, {0, 0}, {1, -1}, {math.MaxInt64, math.MaxInt64}} {
		if _, err := domain.SplitLargestRemainder(100, w); err == nil {
			t.Errorf("weights %v accepted", w)
		}
	}
}

// checkSplit asserts the properties every split must have: the parts add up to
// the amount, each part is within one fen of its exact quota, and the sign follows the amount.
func checkSplit(t *testing.T, amount domain.Fen, weights []int64) {
	t.Helper()
	parts, err := domain.SplitLargestRemainder(amount, weights)
	if err != nil {
		t.Fatalf("split %d by %v: %v", amount, weights, err)
	}
	var sum domain.Fen
	var total float64
	for _, w := range weights {
		total += float64(w)
	}
	for i, p := range parts {
		sum += p
		if (amount >= 0 && p < 0) || (amount < 0 && p > 0) {
			t.Fatalf("split %d by %v: part %d is %d, wrong sign", amount, weights, i, p)
		}
		quota := float64(amount) * float64(weights[i]) / total
		if math.Abs(float64(p)-quota) >= 1.0001 && math.Abs(float64(amount)) < 1<<50 {
			t.Fatalf("split %d by %v: part %d is %d fen, quota %.3f", amount, weights, i, p, quota)
		}
	}
	if sum != amount {
		t.Fatalf("split %d by %v = %v, sums to %d fen", amount, weights, parts, sum)
	}
}

func TestSplitAddsUpForRandomAmountsAndWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		n := 1 + r.IntN(8)
		weights := make([]int64, n)
		for j := range weights {
			weights[j] = r.Int64N(10001)
		}
		weights[r.IntN(n)]++ // at least one positive weight
		amount := domain.Fen(r.Int64N(2_000_000_00)) - 1_000_000_00
		checkSplit(t, amount, weights)
	}
}

func FuzzSplitAddsUp(f *testing.F) {
	f.Add(int64(12800), int64(3), int64(2), int64(2))
	f.Add(int64(-6400), int64(1), int64(0), int64(7))
	f.Fuzz(func(t *testing.T, amount, w1, w2, w3 int64) {
		weights := []int64{w1 & 0xffffff, w2 & 0xffffff, w3 & 0xffffff}
		if weights[0]+weights[1]+weights[2] == 0 {
			return
		}
		checkSplit(t, domain.Fen(amount), weights)
	})
}

func TestAttributeLineAddsUpForRandomListings(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		hbp := r.Int64N(10001)
		vbp := r.Int64N(10001 - hbp)
		l := &domain.Listing{Platform: "p", SKUID: "s", EnterpriseID: "E", VillageID: "V",
			EffectiveFrom: time.Unix(0, 0), HouseholdsBP: hbp, VillageCollectiveBP: vbp}
		for j := 0; j < 1+r.IntN(6); j++ {
			l.Households = append(l.Households, domain.HouseholdWeight{ID: string(rune('A' + j)), Weight: 1 + r.Int64N(9)})
		}
		amount := domain.Fen(r.Int64N(10_000_000)) - 5_000_000
		shares, err := domain.AttributeLine(amount, l)
		if err != nil {
			t.Fatal(err)
		}
		var sum domain.Fen
		for _, s := range shares {
			sum += s.AmountFen
		}
		if sum != amount {
			t.Fatalf("listing %+v: shares %v add up to %d fen, want %d", l, shares, sum, amount)
		}
	}
}
