package projections

import (
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

func TestListingSnapshots(t *testing.T) {
	listing := func(weight int64) *domain.Listing {
		return &domain.Listing{Platform: "jd", SKUID: "S1", Product: "longan", EnterpriseID: "E1", VillageID: "V1",
			EffectiveFrom: time.Date(2024, 5, 1, 0, 0, 0, 0, domain.ChinaTime), HouseholdsBP: 6000,
			Households: []domain.HouseholdWeight{{ID: "H1", Weight: weight}}}
	}
	c := NewListingSnapshots()
	h1, raw1 := c.HashOf(listing(1))
	if again, _ := c.HashOf(listing(1)); again != h1 {
		t.Errorf("the same listing hashed %s, then %s", h1, again)
	}
	// The same listing version (key) with other content: another hash, not
	// the remembered one.
	h2, _ := c.HashOf(listing(2))
	if h2 == h1 {
		t.Error("a changed listing of the same version kept its old hash")
	}
	if l, raw, ok := c.Get(h1); !ok || raw != raw1 || l.Households[0].Weight != 1 {
		t.Errorf("Get(%s) = %v, %q, %v", h1, l, raw, ok)
	}
	if c.IsStored(h1) {
		t.Error("a hashed snapshot counts as stored before MarkStored")
	}
	c.MarkStored([]string{h1})
	if !c.IsStored(h1) || c.IsStored(h2) {
		t.Error("MarkStored marked the wrong snapshots")
	}
	// Read back from a store: cached and stored.
	fresh := NewListingSnapshots()
	if l, err := fresh.Put(h1, raw1); err != nil || l.Households[0].Weight != 1 || !fresh.IsStored(h1) {
		t.Errorf("Put: %v, %v, stored %v", l, err, fresh.IsStored(h1))
	}
	if _, err := fresh.Put("bad", "{"); err == nil {
		t.Error("Put of malformed JSON gave no error")
	}
}
