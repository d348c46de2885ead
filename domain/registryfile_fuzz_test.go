package domain_test

import (
	"testing"

	"github.com/loquat-dev/loquat/domain"
)

// FuzzParseRegistryFile feeds the registry parser and validator arbitrary
// bytes, seeded with the sample registry (a copy of
// shared/samples/registry.json) and the test files. Properties: no panic;
// a file accepted — on its own or onto the sample registry — gives events
// that all validate, and every listing's shares are non-negative and sum to
// 10000 bp, so attribution splits any amount to the fen.
func FuzzParseRegistryFile(f *testing.F) {
	for _, name := range []string{"registry.json", "registry-problems.json", "registry-add-listing.json"} {
		f.Add(readTestdata(f, name))
	}
	_, loaded := sampleRegistry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if file, err := domain.ParseRegistryFile(data); err == nil {
			checkAccepted(t, file, file.Events())
		}
		if file, err := domain.ParseRegistryFileOnto(data, loaded); err == nil {
			checkAccepted(t, file, file.ChangesTo(loaded).Events)
		}
	})
}

func checkAccepted(t *testing.T, file *domain.RegistryFile, events []domain.Event) {
	t.Helper()
	for _, e := range events {
		if err := e.Validate(); err != nil {
			t.Fatalf("an accepted file gives a %s event that does not validate: %v", e.Type(), err)
		}
	}
	for _, l := range file.Listings {
		bp := []int64{l.HouseholdsBP, l.VillageCollectiveBP, l.EnterpriseBP()}
		if bp[0] < 0 || bp[1] < 0 || bp[2] < 0 || bp[0]+bp[1]+bp[2] != domain.BasisPoints {
			t.Fatalf("listing %s accepted with shares %v bp", l.Key(), bp)
		}
		for _, amount := range []domain.Fen{1, 12345, -999, 1 << 40} {
			shares, err := domain.AttributeLine(amount, &l)
			if err != nil {
				t.Fatalf("listing %s accepted but attributing %d fen fails: %v", l.Key(), amount, err)
			}
			var sum domain.Fen
			for _, s := range shares {
				sum += s.AmountFen
			}
			if sum != amount {
				t.Fatalf("listing %s: shares of %d fen sum to %d", l.Key(), amount, sum)
			}
		}
	}
}
