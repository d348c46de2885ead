package domain

import (
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// SplitLargestRemainder splits amount into len(weights) parts proportional to
// the weights with the largest-remainder (Hamilton) method: every part first
// gets the floor of its exact quota, then the fen left over go one each to the
// parts with the largest fractional remainders; a tie goes to the earlier part.
// The parts always add up to amount exactly. A negative amount is split as its
// absolute value and negated, so a refund mirrors the payment of the same amount.
//
// Weights must be non-negative with a positive sum. The arithmetic is 128-bit,
// so any int64 amount and weights up to 2^63 are exact.
func SplitLargestRemainder(amount Fen, weights []int64) ([]Fen, error) {
	if len(weights) == 0 {
		return nil, errors.New("split: no weights")
	}
	var total uint64
	for i, w := range weights {
		if w < 0 {
			return nil, fmt.Errorf("split: weight %d is negative (%d)", i, w)
		}
		var carry uint64
		total, carry = bits.Add64(total, uint64(w), 0)
		if carry != 0 || total > 1<<63 {
			return nil, errors.New("split: weights overflow")
		}
	}
	if total == 0 {
		return nil, errors.New("split: weights sum to zero")
	}
	neg := amount < 0
	abs := uint64(amount)
	if neg {
		abs = uint64(-amount) // two's complement gives |MinInt64| correctly as uint64
	}

	parts := make([]Fen, len(weights))
	rems := make([]uint64, len(weights))
	var assigned uint64
	for i, w := range weights {
		hi, lo := bits.Mul64(abs, uint64(w))
		q, r := bits.Div64(hi, lo, total) // hi < total because w <= total
		parts[i] = Fen(q)
		rems[i] = r
		assigned += q
	}
	leftover := abs - assigned // < len(weights)
	if leftover > 0 {
		order := make([]int, len(weights))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
		for _, i := range order[:leftover] {
			parts[i]++
		}
	}
	if neg {
		for i := range parts {
			parts[i] = -parts[i]
		}
	}
	return parts, nil
}

// PartyKind says who a share of a sale belongs to.
type PartyKind string

const (
	PartyHousehold    PartyKind = "household"
	PartyCollective   PartyKind = "collective" // the village collective (村集体)
	PartyEnterprise   PartyKind = "enterprise"
	PartyUnattributed PartyKind = "unattributed" // a line whose SKU has no listing
)

// Share is one party's part of an attributed amount.
type Share struct {
	Kind      PartyKind `json:"kind"`
	PartyID   string    `json:"party_id"`
	AmountFen Fen       `json:"amount_fen"`
}

// AttributeLine splits a paid line's (or a refund's) amount by the listing's
// shares: first into households, village collective and enterprise by basis
// points, then the households' part among the listed households by weight.
// Both steps use SplitLargestRemainder, so the shares add up to amount to the
// fen. A nil listing gives one unattributed share. Zero shares are left out.
func AttributeLine(amount Fen, l *Listing) ([]Share, error) {
	if l == nil {
		return []Share{{Kind: PartyUnattributed, AmountFen: amount}}, nil
	}
	enterpriseBP := BasisPoints - l.HouseholdsBP - l.VillageCollectiveBP
	top, err := SplitLargestRemainder(amount, []int64{l.HouseholdsBP, l.VillageCollectiveBP, enterpriseBP})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", l.Key(), err)
	}
	shares := make([]Share, 0, len(l.Households)+2)
	if top[0] != 0 {
		weights := make([]int64, len(l.Households))
		for i, h := range l.Households {
			weights[i] = h.Weight
		}
		hh, err := SplitLargestRemainder(top[0], weights)
		if err != nil {
			return nil, fmt.Errorf("listing %s households: %w", l.Key(), err)
		}
		for i, h := range l.Households {
			if hh[i] != 0 {
				shares = append(shares, Share{Kind: PartyHousehold, PartyID: h.ID, AmountFen: hh[i]})
			}
		}
	}
	if top[1] != 0 {
		shares = append(shares, Share{Kind: PartyCollective, PartyID: l.VillageID, AmountFen: top[1]})
	}
	if top[2] != 0 {
		shares = append(shares, Share{Kind: PartyEnterprise, PartyID: l.EnterpriseID, AmountFen: top[2]})
	}
	return shares, nil
}
