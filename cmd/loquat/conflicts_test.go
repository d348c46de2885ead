package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// Corrected versions of samples/orders.csv and samples/income.csv: the
// first order line and the first income record with other amounts, under
// the same ids; the other rows as they were.
const (
	ordersCorrected = `platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id
file,832-20200502-000117,1,832-FLW-0107,3,276.00,paid,2020-05-02T10:21:00+08:00,
file,832-20200502-000118,1,832-FLW-0107,1,89.00,paid,2020-05-02T10:24:30+08:00,
`
	incomeCorrected = `household_id,kind,amount,enterprise_id,occurred_at,reference
H-0004,wage,1800.00,E-GARDEN,2020-05-31T18:00:00+08:00,GARDEN-PAY-202005-014
H-0001,procurement,1620.50,E-HELPER,2020-05-03T09:30:00+08:00,HS-PO-20200503-0007
`
)

// TestCorrectedReimportIsAConflict imports the sample orders and income
// into a serving node's data dir, twice (duplicates, no conflict), then
// corrected files: the API and `loquat conflicts` list one payment and one
// income conflict with both versions, the figures stay those of the first
// versions, and a rebuild lists the same two again.
func TestCorrectedReimportIsAConflict(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	write := func(name string, content []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run(t, nil, "registry", "load", "--data-dir", data, write("registry.json", samples.File("registry.json")))
	serve := start(t, nil, "serve", "--data-dir", data, "--addr", "127.0.0.1:0")
	url := serve.waitURL(t, 30*time.Second)

	orders, income := write("orders.csv", samples.File("orders.csv")), write("income.csv", samples.File("income.csv"))
	for range 2 {
		run(t, nil, "import", "--data-dir", data, orders)
		run(t, nil, "import", "--data-dir", data, income)
	}
	before := waitFigures(t, url, func(f figures) bool { return f.Overview.GMVFen > 0 && f.Household.RecordedIncomeFen > 0 })
	if out, code := runCode(t, "conflicts", "--data-dir", data); code != 0 || !strings.Contains(out, "No conflicts.") {
		t.Fatalf("after importing the same files twice, loquat conflicts exited %d:\n%s", code, out)
	}

	out := run(t, nil, "import", "--data-dir", data, write("orders-corrected.csv", []byte(ordersCorrected)))
	if !strings.Contains(out, "loquat conflicts") {
		t.Errorf("the import does not say where conflicts are listed:\n%s", out)
	}
	run(t, nil, "import", "--data-dir", data, write("income-corrected.csv", []byte(incomeCorrected)))

	var page projections.Page[domain.Conflict]
	deadline := time.Now().Add(30 * time.Second)
	for page.Total < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		samples.GetJSON(t, url, "/api/v1/conflicts", &page)
	}
	checkSampleConflicts(t, "GET /api/v1/conflicts", page)
	if after := waitFigures(t, url, func(figures) bool { return true }); !reflect.DeepEqual(after, before) {
		t.Errorf("figures after the corrected import %+v, want the first versions' %+v", after, before)
	}

	out, code := runCode(t, "conflicts", "--data-dir", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || len(lines) != 3 ||
		!strings.Contains(out, "payment file file/832-20200502-000117/1: amount_fen kept 26700, rejected 27600; rejected at log 0/") ||
		!strings.Contains(out, "income income E-HELPER/HS-PO-20200503-0007/H-0001: amount_fen kept 126050, rejected 162050; rejected at log 0/") ||
		!strings.Contains(lines[2], "2 conflicts are open") {
		t.Errorf("loquat conflicts exited %d, want 1, with a line per conflict and the count:\n%s", code, out)
	}
	out, code = runCode(t, "conflicts", "--data-dir", data, "--json")
	var listed projections.Page[domain.Conflict]
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&listed); err != nil || code != 1 {
		t.Fatalf("loquat conflicts --json exited %d (%v):\n%s", code, err, out)
	}
	checkSampleConflicts(t, "loquat conflicts --json", listed)

	serve.stop(t)
	run(t, nil, "rebuild", "--data-dir", data)
	out, code = runCode(t, "conflicts", "--data-dir", data, "--json")
	var rebuilt projections.Page[domain.Conflict]
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&rebuilt); err != nil || code != 1 {
		t.Fatalf("loquat conflicts --json after rebuild exited %d (%v):\n%s", code, err, out)
	}
	checkSampleConflicts(t, "after loquat rebuild", rebuilt)
}

// checkSampleConflicts expects the corrected order line and income record,
// each with its first version kept and the correction rejected.
func checkSampleConflicts(t *testing.T, where string, page projections.Page[domain.Conflict]) {
	t.Helper()
	if page.Total != 2 || len(page.Items) != 2 {
		t.Fatalf("%s: %d conflicts (%d listed), want 2: %+v", where, page.Total, len(page.Items), page.Items)
	}
	want := map[string]struct {
		kind           domain.ConflictKind
		kept, rejected domain.Fen
	}{
		"file/832-20200502-000117/1":          {domain.ConflictPayment, 26700, 27600},
		"E-HELPER/HS-PO-20200503-0007/H-0001": {domain.ConflictIncome, 126050, 162050},
	}
	for _, c := range page.Items {
		w := want[c.Key]
		var kept, rejected struct {
			AmountFen domain.Fen `json:"amount_fen"`
		}
		if err := errors.Join(json.Unmarshal(c.Kept.Fact, &kept), json.Unmarshal(c.Rejected.Fact, &rejected)); err != nil {
			t.Fatalf("%s: conflict %s: %v", where, c.Key, err)
		}
		if c.Kind != w.kind || kept.AmountFen != w.kept || rejected.AmountFen != w.rejected ||
			len(c.Fields) != 1 || c.Fields[0] != "amount_fen" || c.Kept.EventID != c.Rejected.EventID {
			t.Errorf("%s: conflict %s %s on %v, kept %d fen (event %s), rejected %d fen (event %s); want %s on amount_fen, %d and %d, one event id",
				where, c.Kind, c.Key, c.Fields, kept.AmountFen, c.Kept.EventID, rejected.AmountFen, c.Rejected.EventID, w.kind, w.kept, w.rejected)
		}
	}
}

// figures are the answers a corrected import must not move.
type figures struct {
	Overview  projections.Overview
	Household projections.HouseholdSummary
}

// waitFigures polls the overview and household H-0001 until ok.
func waitFigures(t *testing.T, url string, ok func(figures) bool) figures {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var f figures
		samples.GetJSON(t, url, "/api/v1/overview", &f.Overview)
		samples.GetJSON(t, url, "/api/v1/households/H-0001", &f.Household)
		if ok(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("figures never got there: %+v", f)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// runCode runs loquat to completion and returns its output and exit code.
func runCode(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("loquat %v: %v\n%s", args, err, out)
	return "", -1
}
