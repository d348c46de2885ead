package eventlogtest

import (
	"context"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// testReadRegistry checks eventlog.ReadRegistry: an empty log gives an empty
// registry; after two loads (the second replacing a household and adding a
// village) it gives the final state, twice in a row (the fixed reader group's
// stored offsets must not make the second read start past the first).
func testReadRegistry(t *testing.T, _ Features, open Opener) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := open(t, t.TempDir())

	reg, err := eventlog.ReadRegistry(ctx, log)
	if err != nil {
		t.Fatalf("empty log: %v", err)
	}
	if len(reg.Villages)+len(reg.Households) != 0 {
		t.Fatalf("empty log gave %d villages, %d households", len(reg.Villages), len(reg.Households))
	}

	w := eventlog.NewWriter(log.Publisher())
	first := []domain.Event{
		&domain.VillageRegistered{Village: domain.Village{ID: "V-1", Name: "一村", Town: "镇"}},
		&domain.HouseholdRegistered{Household: domain.Household{ID: "H-1", VillageID: "V-1", Members: 3, BaselineIncomeFen: 100, Category: "脱贫户"}},
	}
	second := []domain.Event{
		&domain.VillageRegistered{Village: domain.Village{ID: "V-2", Name: "二村", Town: "镇"}},
		&domain.HouseholdRegistered{Household: domain.Household{ID: "H-1", VillageID: "V-1", Members: 4, BaselineIncomeFen: 100, Category: "脱贫户"}},
	}
	if err := w.Append(ctx, first...); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(ctx, second...); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		reg, err := eventlog.ReadRegistry(ctx, log)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if len(reg.Villages) != 2 || reg.Households["H-1"].Members != 4 {
			t.Fatalf("read %d: villages %v, H-1 %+v; want V-1 and V-2, H-1 with 4 members", i, reg.Villages, reg.Households["H-1"])
		}
	}
}
