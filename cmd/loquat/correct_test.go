package main_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/internal/auth"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
)

// correctedFigures are what `loquat correct` must move, read from the
// read model a rebuild wrote.
type correctedFigures struct {
	overview    projections.Overview
	household   projections.HouseholdSummary // H-0001
	line        domain.LineState             // file/832-20200502-000117/1
	corrections []projections.CorrectionRecord
}

func readCorrectedFigures(t *testing.T, data string) correctedFigures {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, sqlite.Config{Path: server.ReadModelPath(data)})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q := &projections.Queries{Store: store}
	var f correctedFigures
	if f.overview, err = q.Overview(ctx, projections.Period{}); err != nil {
		t.Fatal(err)
	}
	if f.household, err = q.Household(ctx, "H-0001", projections.Period{}); err != nil {
		t.Fatal(err)
	}
	states, err := store.LoadLines(ctx, []projections.OrderRef{{Platform: "file", OrderID: "832-20200502-000117"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range states {
		if st.Key.LineID == "1" {
			f.line = st
		}
	}
	if f.line.Payment == nil {
		t.Fatal("the sample line file/832-20200502-000117/1 is not in the read model")
	}
	if f.corrections, err = store.Corrections(ctx, projections.CorrectionFilter{}); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCorrect imports the samples, rebuilds the read model, and corrects
// with `loquat correct`: bad targets and operators are refused with one
// line and exit 1, appending nothing; a voided line and an amended income
// record move the overview and household H-0001 by exactly their amounts
// after `loquat rebuild` (and again after a second rebuild); each
// correction is in the access log and listed with its operator and reason.
func TestCorrect(t *testing.T) {
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
	run(t, nil, "import", "--data-dir", data, write("orders.csv", samples.File("orders.csv")))
	run(t, nil, "import", "--data-dir", data, write("income.csv", samples.File("income.csv")))
	run(t, nil, "rebuild", "--data-dir", data)
	before := readCorrectedFigures(t, data)

	addAdmin := exec.Command(binary, "users", "add", "ops", "--role", "district_admin", "--password-stdin", "--data-dir", data)
	addAdmin.Stdin = strings.NewReader("a long enough password 123\n")
	if out, err := addAdmin.CombinedOutput(); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	addStaff := exec.Command(binary, "users", "add", "reader", "--role", "district_staff", "--password-stdin", "--data-dir", data)
	addStaff.Stdin = strings.NewReader("another long password 456\n")
	if out, err := addStaff.CombinedOutput(); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}

	income := (&domain.IncomeRecorded{EnterpriseID: "E-HELPER", Reference: "HS-PO-20200503-0007", HouseholdID: "H-0001"}).ID()
	reason := []string{"--operator", "ops", "--reason", "the buyer's order was a test", "--data-dir", data}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"correct", "void-line", "file", "832-NO-SUCH-ORDER", "1"}, reason...), "no paid line file/832-NO-SUCH-ORDER/1 in the read model"},
		{append([]string{"correct", "void-income", "no-such-income"}, reason...), "no income record no-such-income"},
		{append([]string{"correct", "keep-conflict", "no-such-conflict"}, reason...), "no conflict no-such-conflict"},
		{[]string{"correct", "void-line", "file", "832-20200502-000117", "1", "--operator", "ops", "--data-dir", data}, "reason is empty"},
		{[]string{"correct", "void-line", "file", "832-20200502-000117", "1", "--operator", "reader", "--reason", "x", "--data-dir", data}, "may not correct"},
		{[]string{"correct", "void-line", "file", "832-20200502-000117", "1", "--operator", "nobody", "--reason", "x", "--data-dir", data}, `no account "nobody"`},
		{append([]string{"correct", "amend-income", income}, reason...), "--amount is required"},
	} {
		out, code := runCode(t, c.args...)
		if code != 1 || !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("loquat %s exited %d, want 1 with one line saying %q:\n%s", strings.Join(c.args[:3], " "), code, c.want, out)
		}
	}

	out := run(t, nil, append([]string{"correct", "void-line", "file", "832-20200502-000117", "1"}, reason...)...)
	if !strings.Contains(out, "Appended correction") || !strings.Contains(out, "void line:file/832-20200502-000117/1") {
		t.Errorf("void-line printed:\n%s", out)
	}
	amended := domain.MustParseYuan("1000.00")
	run(t, nil, append([]string{"correct", "amend-income", income, "--amount", "1000.00"}, reason...)...)
	run(t, nil, "rebuild", "--data-dir", data)
	after := readCorrectedFigures(t, data)

	var lineGMV, lineRefunds domain.Fen
	for _, e := range before.line.Entries() {
		if e.Kind == domain.EntrySale {
			lineGMV += e.AmountFen
		} else {
			lineRefunds -= e.AmountFen
		}
	}
	if lineGMV == 0 {
		t.Fatal("the sample line counts nothing before the correction")
	}
	if got := before.overview.GMVFen - after.overview.GMVFen; got != lineGMV {
		t.Errorf("voiding the line took %d fen off GMV, want its %d", got, lineGMV)
	}
	if got := before.overview.RefundsFen - after.overview.RefundsFen; got != lineRefunds {
		t.Errorf("voiding the line took %d fen off refunds, want its %d", got, lineRefunds)
	}
	var oldIncome domain.Fen = -1
	for _, e := range readSampleIncome(t) {
		if e.ID() == income {
			oldIncome = e.AmountFen
		}
	}
	if got := after.household.RecordedIncomeFen - before.household.RecordedIncomeFen; got != amended-oldIncome {
		t.Errorf("amending H-0001's income moved it by %d fen, want %d (%d → %d)", got, amended-oldIncome, oldIncome, amended)
	}
	if len(after.corrections) != 2 || after.corrections[0].Operator != "ops" || after.corrections[0].Reason != "the buyer's order was a test" ||
		after.corrections[1].DeltaFen != amended-oldIncome {
		t.Errorf("corrections listed after the rebuild: %+v", after.corrections)
	}
	if e := after.line.Entries(); len(e) != 0 {
		t.Errorf("the voided line still has entries %+v", e)
	}

	// Rebuilt again from the same log: the same answers.
	run(t, nil, "rebuild", "--data-dir", data)
	again := readCorrectedFigures(t, data)
	if again.overview.NetFen != after.overview.NetFen || again.household.IncomeGainFen != after.household.IncomeGainFen || len(again.corrections) != 2 {
		t.Errorf("a second rebuild answers net %d, H-0001 gain %d, %d corrections; want %d, %d, 2",
			again.overview.NetFen, again.household.IncomeGainFen, len(again.corrections), after.overview.NetFen, after.household.IncomeGainFen)
	}

	// A void line cannot be voided again; the refusal appends nothing.
	if out, code := runCode(t, append([]string{"correct", "void-line", "file", "832-20200502-000117", "1"}, reason...)...); code != 1 || !strings.Contains(out, "already void") {
		t.Errorf("voiding the void line again exited %d:\n%s", code, out)
	}

	// Live: a serving node's projector applies a correction made while it
	// runs, and GET /api/v1/corrections lists it (district roles).
	serve := start(t, nil, "serve", "--data-dir", data, "--addr", "127.0.0.1:0")
	base := serve.waitURL(t, 30*time.Second)
	out, err := usersCmd(t, data, "token", "ops", "--name", "test")
	m := tokenOut.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("users token: %v\n%s", err, out)
	}
	ops := api{t: t, base: base, token: m[2]}
	var ov projections.Overview
	ops.want(200, "/api/v1/overview", &ov)
	if ov.GMVFen != after.overview.GMVFen {
		t.Fatalf("serving: GMV %d fen, want the rebuilt %d", ov.GMVFen, after.overview.GMVFen)
	}
	run(t, nil, append([]string{"correct", "amend-line", "file", "832-20200502-000118", "1", "--amount", "100.00"}, reason...)...)
	deadline := time.Now().Add(30 * time.Second)
	for ov.GMVFen == after.overview.GMVFen && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		ops.want(200, "/api/v1/overview", &ov)
	}
	// The sample line was paid 89.00: amended to 100.00, GMV gains 11.00.
	if got := ov.GMVFen - after.overview.GMVFen; got != domain.MustParseYuan("11.00") {
		t.Errorf("amending the line from 89.00 to 100.00 moved GMV by %d fen, want 1100", got)
	}
	var listed projections.Page[projections.CorrectionRecord]
	ops.want(200, "/api/v1/corrections?target=line:file/832-20200502-000118/1", &listed)
	if listed.Total != 1 || len(listed.Items) != 1 || listed.Items[0].DeltaFen != 1100 || listed.Items[0].Operator != "ops" {
		t.Errorf("GET /api/v1/corrections?target=…: %+v, want the amendment by ops, +1100 fen", listed)
	}
	ops.want(200, "/api/v1/corrections?household_id=H-0001", &listed)
	if listed.Total == 0 {
		t.Error("GET /api/v1/corrections?household_id=H-0001 lists nothing; the amended income is H-0001's")
	}
	serve.stop(t)

	svc, err := auth.Open(context.Background(), auth.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	entries, _, err := svc.AccessLog(context.Background(), 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	for _, e := range entries {
		if e.Method == "CLI" {
			logged = append(logged, e.Account+" "+e.Path+" "+e.Query)
		}
	}
	if len(logged) != 3 || !strings.Contains(logged[2], "ops loquat correct void") || !strings.Contains(logged[1], "ops loquat correct amend") ||
		!strings.Contains(logged[1], "amount_fen=100000") || !strings.Contains(logged[0], "amount_fen=10000") {
		t.Errorf("access log CLI entries (newest first):\n%s\nwant the amendment and the void by ops", strings.Join(logged, "\n"))
	}
}

// readSampleIncome reads samples/income.csv's records as the file adapter
// would give them (only the ids and amounts are used).
func readSampleIncome(t *testing.T) []domain.IncomeRecorded {
	t.Helper()
	var out []domain.IncomeRecorded
	lines := strings.Split(strings.TrimSpace(string(samples.File("income.csv"))), "\n")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		if len(f) < 6 {
			continue
		}
		out = append(out, domain.IncomeRecorded{HouseholdID: f[0], AmountFen: domain.MustParseYuan(f[2]), EnterpriseID: f[3], Reference: f[5]})
	}
	return out
}

// TestCorrectResolvesConflicts: a corrected re-import's payment conflict
// accepted with `loquat correct accept-conflict` counts the rejected
// version instead (GMV moves by rejected - kept), `loquat conflicts` then
// shows it resolved and exits 0, and resolving it again is refused.
func TestCorrectResolvesConflicts(t *testing.T) {
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
	run(t, nil, "import", "--data-dir", data, write("orders.csv", samples.File("orders.csv")))
	run(t, nil, "import", "--data-dir", data, write("orders-corrected.csv", []byte(ordersCorrected)))
	run(t, nil, "rebuild", "--data-dir", data)
	before := readCorrectedFigures(t, data)

	out, code := runCode(t, "conflicts", "--data-dir", data, "--json")
	var listed projections.Page[domain.Conflict]
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&listed); err != nil || code != 1 || len(listed.Items) != 1 {
		t.Fatalf("loquat conflicts --json exited %d (%v), want 1 with one conflict:\n%s", code, err, out)
	}
	c := listed.Items[0]
	out = run(t, nil, "correct", "accept-conflict", c.ID, "--operator", "admin", "--reason", "the platform re-priced the line", "--data-dir", data)
	if !strings.Contains(out, "payment conflict on file/832-20200502-000117/1") || !strings.Contains(out, "no access log") {
		t.Errorf("accept-conflict printed:\n%s", out)
	}
	run(t, nil, "rebuild", "--data-dir", data)
	after := readCorrectedFigures(t, data)
	// samples/orders.csv paid the line 267.00; the corrected file 276.00.
	if got := after.overview.GMVFen - before.overview.GMVFen; got != 900 {
		t.Errorf("accepting the corrected payment moved GMV by %d fen, want 900 (276.00 - 267.00)", got)
	}
	out, code = runCode(t, "conflicts", "--data-dir", data)
	if code != 0 || !strings.Contains(out, c.ID) || !strings.Contains(out, "resolved (accept_conflict) by admin at ") {
		t.Errorf("loquat conflicts after the resolution exited %d, want 0 and the conflict shown resolved:\n%s", code, out)
	}
	out, code = runCode(t, "correct", "keep-conflict", c.ID, "--operator", "admin", "--reason", "again", "--data-dir", data)
	if code != 1 || !strings.Contains(out, "was resolved by admin (accept_conflict)") {
		t.Errorf("resolving the conflict again exited %d, want 1 saying it was resolved:\n%s", code, out)
	}
}
