package domain

import (
	"testing"
	"time"
)

func TestListingEqual(t *testing.T) {
	base := func() *Listing {
		return &Listing{Platform: "douyin", SKUID: "S1", Product: "loquat", Name: "枇杷 5斤", EnterpriseID: "E1", VillageID: "V1",
			EffectiveFrom: time.Date(2024, 5, 1, 0, 0, 0, 0, ChinaTime), HouseholdsBP: 6000, VillageCollectiveBP: 1000,
			Households: []HouseholdWeight{{ID: "H1", Weight: 2}, {ID: "H2", Weight: 1}}}
	}
	tests := []struct {
		name   string
		change func(l *Listing)
		equal  bool
	}{
		{"same", func(*Listing) {}, true},
		{"same instant in another zone", func(l *Listing) { l.EffectiveFrom = l.EffectiveFrom.UTC() }, true},
		{"platform", func(l *Listing) { l.Platform = "jd" }, false},
		{"sku", func(l *Listing) { l.SKUID = "S2" }, false},
		{"product", func(l *Listing) { l.Product = "longan" }, false},
		{"name", func(l *Listing) { l.Name = "枇杷 3斤" }, false},
		{"enterprise", func(l *Listing) { l.EnterpriseID = "E2" }, false},
		{"village", func(l *Listing) { l.VillageID = "V2" }, false},
		{"effective from", func(l *Listing) { l.EffectiveFrom = l.EffectiveFrom.Add(time.Second) }, false},
		{"households bp", func(l *Listing) { l.HouseholdsBP = 5000 }, false},
		{"collective bp", func(l *Listing) { l.VillageCollectiveBP = 0 }, false},
		{"a weight", func(l *Listing) { l.Households[1].Weight = 3 }, false},
		{"a household", func(l *Listing) { l.Households[0].ID = "H3" }, false},
		{"one household fewer", func(l *Listing) { l.Households = l.Households[:1] }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := base(), base()
			tt.change(b)
			if got := a.Equal(b); got != tt.equal {
				t.Errorf("Equal = %v, want %v", got, tt.equal)
			}
			if got := b.Equal(a); got != tt.equal {
				t.Errorf("Equal (swapped) = %v, want %v", got, tt.equal)
			}
		})
	}
}
