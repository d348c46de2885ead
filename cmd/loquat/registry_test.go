package main_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// runFailing runs loquat expecting a non-zero exit and returns its output.
func runFailing(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("loquat %v: %v, want a non-zero exit\n%s", args, err, out)
	}
	return string(out)
}

func mustContain(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, out)
		}
	}
}

// TestRegistryLoadOntoTheLog loads the sample registry with `loquat
// registry load` into a SQLite event log, then a file that adds one
// household and one listing naming an enterprise, a village and a household
// loaded before (an upsert, not an error), imports orders of the new
// listing's SKU and checks through the API that the listing was projected:
// the orders from its date-only effective_from (midnight China time) on are
// attributed, the one a minute before is not. --replace is refused with a
// file that lacks records of the log, naming each, and accepted with the
// whole registry; a file with problems exits non-zero naming each.
func TestRegistryLoadOntoTheLog(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	sample := filepath.Join(dir, "registry.json")
	if err := os.WriteFile(sample, samples.File("registry.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(args ...string) string {
		return run(t, nil, append([]string{"registry", "load", "--data-dir", data}, args...)...)
	}

	mustContain(t, "the first load", load(sample), "3 villages, 5 households, 2 enterprises, 4 listings; 15 records new, 0 changed, 0 unchanged (15 events appended)")
	mustContain(t, "the additions", load("testdata/registry-add.json"), "0 villages, 1 households, 0 enterprises, 1 listings; 2 records new, 0 changed, 0 unchanged (2 events appended)")
	mustContain(t, "the additions again", load("testdata/registry-add.json"), "0 records new, 0 changed, 2 unchanged (0 events appended)")

	out := runFailing(t, "registry", "load", "--data-dir", data, "--replace", "testdata/registry-add.json")
	mustContain(t, "--replace with a partial file", out,
		"district: is missing",
		"listing \"file:832-HNY-0201\" from 2020-05-01T00:00:00+08:00: enterprise E-GARDEN is not in the file",
		"listing \"file:832-HNY-0201\" from 2020-05-01T00:00:00+08:00: household H-0004 is not in the file")
	out = runFailing(t, "registry", "load", "--data-dir", data, "--replace", sample)
	mustContain(t, "--replace with the sample alone", out,
		"cannot replace the registry, 2 problem(s)",
		`household "H-0006": in the registry but not in the file`,
		`listing "file:832-HNY-0201" from 2020-05-01T00:00:00+08:00: in the registry but not in the file`)
	mustContain(t, "--replace with the whole registry", load("--replace", "testdata/registry-full.json"),
		"3 villages, 6 households, 2 enterprises, 5 listings; 0 records new, 1 changed, 16 unchanged (1 events appended)")

	out = runFailing(t, "registry", "load", "--data-dir", data, "testdata/registry-bad.json")
	mustContain(t, "a file with problems", out, "registry file has 3 problem(s)",
		`household "H-0007": members is 0`, `household "H-0007": category "贫困户" is not one of`,
		`listing "file:832-HNY-0202" from 2020-05-01T00:00:00+08:00: enterprise E-NONE is neither in the file nor in the registry loaded before`)
	gbk := filepath.Join(dir, "gbk.json")
	if err := os.WriteFile(gbk, []byte("{\"villages\":[{\"id\":\"V-1\",\"name\":\"\xc6\xbc\xba\xfe\xb4\xe5\"}]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustContain(t, "a GBK file", runFailing(t, "registry", "load", "--data-dir", data, gbk), "not UTF-8", "GB18030/GBK")

	run(t, nil, "import", "--data-dir", data, "testdata/orders-new-listing.csv")
	server := start(t, nil, "serve", "--data-dir", data, "--addr", "127.0.0.1:0")
	url := server.waitURL(t, time.Minute)
	// The projector catches up in the background: the overview's GMV
	// is that of the three imported orders once it has.
	waitFor(t, url, "", func(ov projections.Overview) bool { return ov.GMVFen == 17000 })
	var h projections.HouseholdSummary
	samples.GetJSON(t, url, "/api/v1/households/H-0006", &h)
	// 100.00 + 20.00 yuan from 2020-05-01 00:00 China time, 60% to two
	// households by equal weight: 3600 fen each.
	if h.AttributedSalesFen != 3600 || h.Category != "监测户" || h.VillageID != "V-PULIU" {
		t.Errorf("H-0006: %+v, want 3600 fen attributed, category 监测户, village V-PULIU", h)
	}
	var un projections.Page[projections.UnattributedItem]
	samples.GetJSON(t, url, "/api/v1/unattributed", &un)
	if un.Total != 1 || un.Items[0].SKUID != "832-HNY-0201" || un.Items[0].GMVFen != 5000 {
		t.Errorf("unattributed: %+v, want only the 50.00 yuan sold at 23:59 the day before the listing", un)
	}
	server.stop(t)
}
