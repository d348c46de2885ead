package storetest_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportsNoAdapter: the conformance suite builds its data sets from
// domain events alone, so a store's tests do not build (or break with)
// any platform adapter or simulator.
func TestImportsNoAdapter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !slices.Contains(deps, "github.com/loquat-dev/loquat/domain") {
		t.Fatalf("go list -deps gave %d packages, without domain: %v", len(deps), deps)
	}
	for _, p := range deps {
		if p == "github.com/loquat-dev/loquat/ingest" || strings.HasPrefix(p, "github.com/loquat-dev/loquat/ingest/") ||
			p == "github.com/loquat-dev/loquat/internal/samples" {
			t.Errorf("storetest depends on %s", p)
		}
	}
}
