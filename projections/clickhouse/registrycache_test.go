package clickhouse_test

import (
	"context"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// TestRegistryCache reads the registry through a reader store (as an API
// node does) while the registry changes: a household registered later, and
// a rebuild swapped in whose batches are numbered afresh and whose registry
// differs. The reader answers the registry as committed every time.
func TestRegistryCache(t *testing.T) {
	s, cfg := openStore(t)
	defer s.Close()
	reader := mustOpen(t, cfg)
	defer reader.Close()
	ctx := context.Background()
	households := func() int {
		t.Helper()
		reg, err := reader.Registry(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(reg.Households)
	}

	ds := storetest.Generate(51, 200)
	ds.Project(t, s, 50)
	base := households()
	if base == 0 || households() != base {
		t.Fatalf("registry of %d households, then %d", base, households())
	}

	extra := &domain.HouseholdRegistered{Household: domain.Household{ID: "H-LATE", VillageID: "V1", Members: 3, BaselineIncomeFen: 900000, Category: "脱贫户"}}
	more := ds.Feed
	more.Registry = append(append([]domain.Event(nil), ds.Registry...), extra)
	more.Project(t, s, 50)
	if got := households(); got != base+1 {
		t.Errorf("after a household registered: %d households, want %d", got, base+1)
	}

	// A rebuild from the first registry: its tables number batches from 1
	// again; swapped in, the reader must not answer its cached registry.
	shadow, err := s.Shadow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer shadow.Close()
	ds.Project(t, shadow, 50)
	if err := shadow.SwapIn(ctx); err != nil {
		t.Fatal(err)
	}
	if got := households(); got != base {
		t.Errorf("after the rebuild swap: %d households, want %d", got, base)
	}
}
