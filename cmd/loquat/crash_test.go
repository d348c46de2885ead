package main_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// jdKuaishouRows holds the JD and Kuaishou sample orders as import rows.
const jdKuaishouRows = "testdata/jd-kuaishou-as-import.csv"

// bigImport writes an orders file of n paid lines (and some partial refunds)
// in 2021, for a listed SKU, and returns its own totals: the reference the
// API must match after the crashes.
func bigImport(t *testing.T, dir string, n int) (path string, gmv, refunds domain.Fen, refunded int64) {
	path = filepath.Join(dir, "big-orders.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id")
	r := rand.New(rand.NewPCG(7, 8))
	start := time.Date(2021, 3, 1, 8, 0, 0, 0, domain.ChinaTime)
	for i := 0; i < n; i++ {
		amount := domain.Fen(100 + r.IntN(99900))
		at := start.Add(time.Duration(i) * 17 * time.Second)
		id := fmt.Sprintf("832-2021-%07d", i)
		fmt.Fprintf(w, "file,%s,1,832-FLW-0107,%d,%s,paid,%s,\n", id, 1+r.IntN(3), amount, at.Format(time.RFC3339))
		gmv += amount
		if r.IntN(20) == 0 {
			back := domain.Fen(1 + r.Int64N(int64(amount)))
			fmt.Fprintf(w, "file,%s,1,832-FLW-0107,,%s,refunded,%s,\n", id, back, at.Add(36*time.Hour).Format(time.RFC3339))
			refunds += back
			refunded++
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path, gmv, refunds, refunded
}

// TestSurvivesSIGKILLDuringImport kills the import process and the server
// with SIGKILL in the middle of a large import, restarts both, and expects
// the sample figures and the big file's own totals to the fen — then the same
// again after `loquat rebuild`.
func TestSurvivesSIGKILLDuringImport(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	platform, err := samples.NewDouyinPlatform()
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(platform)
	defer api.Close()
	env := []string{"LOQUAT_DOUYIN_APP_SECRET=" + samples.DouyinAppSecret, "LOQUAT_DOUYIN_ACCESS_TOKEN=" + douyinsim.SampleAccessToken}
	serve := func() (*proc, string) {
		p := start(t, env, "serve", "--data-dir", data, "--addr", "127.0.0.1:0",
			"--douyin-app-key", samples.DouyinAppKey, "--douyin-api-url", api.URL)
		return p, p.waitURL(t, time.Minute)
	}
	write := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, samples.File(name), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	server, url := serve()
	run(t, nil, "registry", "load", "--data-dir", data, write("registry.json"))
	for i, name := range samples.DouyinPushes {
		if status, answer, err := samples.PushDouyin(t.Context(), url, samples.File(name), i == 0); err != nil || status != 200 {
			t.Fatalf("push %s: %d %s %v", name, status, answer, err)
		}
	}

	big, gmv, refunds, refunded := bigImport(t, dir, 150_000)
	importer := start(t, nil, "import", "--data-dir", data, "--batch", "500", big)
	time.Sleep(400 * time.Millisecond)
	server.kill(t) // the projector dies mid-stream
	time.Sleep(300 * time.Millisecond)
	importer.kill(t) // and the import mid-file
	if !strings.Contains(importer.output(), "") {
		t.Log(importer.output())
	}

	server, url = serve()
	out := run(t, nil, "import", "--data-dir", data, big)
	if !strings.Contains(out, "0 rejected") {
		t.Fatalf("re-import: %s", out)
	}
	for _, name := range samples.ImportFiles {
		run(t, nil, "import", "--data-dir", data, write(name))
	}
	// The JD and Kuaishou sample orders as import rows: these tests are about
	// crashes and processes; the pollers have their own end-to-end tests.
	run(t, nil, "import", "--data-dir", data, jdKuaishouRows)
	wantOrders := int64(150_000)
	check := func(url string) {
		t.Helper()
		waitFor(t, url, "?from=2021-01-01&to=2021-12-31", func(ov projections.Overview) bool { return ov.Orders == wantOrders })
		var ov projections.Overview
		samples.GetJSON(t, url, "/api/v1/overview?from=2021-01-01&to=2021-12-31", &ov)
		if ov.GMVFen != gmv || ov.RefundsFen != refunds || ov.RefundedOrders != refunded {
			t.Errorf("2021 after the crashes: %s, %d refunded; want GMV %d refunds %d fen, %d refunded", samples.Describe(ov), ov.RefundedOrders, gmv, refunds, refunded)
		}
		waitFor(t, url, "?from=2020-01-01&to=2020-12-31", func(ov projections.Overview) bool { return ov.GMVFen == samples.WantGMV })
		samples.CheckAPIPeriod(t, url, "?from=2020-01-01&to=2020-12-31")
		samples.CheckSumIdentity(t, url, "")
	}
	check(url)

	server.stop(t)
	out = run(t, nil, "rebuild", "--data-dir", data)
	if !strings.Contains(out, "Rebuilt the read model") {
		t.Fatalf("rebuild: %s", out)
	}
	server, url = serve()
	check(url)
	server.stop(t)
}

// waitFor polls the overview for the period until ok or a minute passes.
func waitFor(t *testing.T, url, query string, ok func(projections.Overview) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var ov projections.Overview
		samples.GetJSON(t, url, "/api/v1/overview"+query, &ov)
		if ok(ov) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("overview%s never got there: %s", query, samples.Describe(ov))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
