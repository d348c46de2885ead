package main_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// TestClusterRolesOverKafka runs the cluster deployment as separate
// processes — `loquat ingest`, `loquat project`, `loquat api`, and
// `loquat import` / `registry load` — against a Kafka broker speaking the real
// wire protocol (kfake, in this test process). The projector is SIGKILLed in
// the middle of a large import and restarted; the API must then give the
// samples' figures and the import's own totals to the fen.
func TestClusterRolesOverKafka(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	kafka := []string{"--eventlog", "kafka", "--kafka-brokers", brokers, "--kafka-partitions", "4"}

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	platform, err := samples.NewDouyinPlatform()
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(platform)
	defer api.Close()
	env := []string{"LOQUAT_DOUYIN_APP_SECRET=" + samples.DouyinAppSecret, "LOQUAT_DOUYIN_ACCESS_TOKEN=" + douyinsim.SampleAccessToken}
	write := func(name string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, samples.File(name), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	role := func(args ...string) (*proc, string) {
		p := start(t, env, append(append(args, "--data-dir", data, "--addr", "127.0.0.1:0"), kafka...)...)
		return p, p.waitURL(t, time.Minute)
	}

	run(t, nil, append([]string{"registry", "load", "--data-dir", data, write("registry.json")}, kafka...)...)
	ingest, ingestURL := role("ingest", "--douyin-app-key", samples.DouyinAppKey, "--douyin-api-url", api.URL)
	projector, _ := role("project")
	apiNode, apiURL := role("api")
	for i, name := range samples.DouyinPushes {
		if status, answer, err := samples.PushDouyin(t.Context(), ingestURL, samples.File(name), i == 1); err != nil || status != 200 {
			t.Fatalf("push %s to loquat ingest: %d %s %v", name, status, answer, err)
		}
	}
	big, gmv, refunds, refunded := bigImport(t, dir, 60_000)
	importer := start(t, nil, append([]string{"import", "--data-dir", data, "--batch", "500", big}, kafka...)...)
	// Kill the projector once it is part-way through the stream.
	waitFor(t, apiURL, "?from=2021-01-01&to=2021-12-31", func(ov projections.Overview) bool { return ov.Orders > 0 })
	projector.kill(t)
	var atKill projections.Overview
	samples.GetJSON(t, apiURL, "/api/v1/overview?from=2021-01-01&to=2021-12-31", &atKill)
	if atKill.Orders >= 60_000 {
		t.Fatalf("the projector had finished before it was killed (%d orders): the test proves nothing", atKill.Orders)
	}
	t.Logf("projector SIGKILLed with %d of 60000 orders projected", atKill.Orders)
	importer.wait(t, 2*time.Minute)
	for _, name := range append(samples.ImportFiles, jdKuaishouRows) {
		path := name
		if name != jdKuaishouRows {
			path = write(name)
		}
		run(t, nil, append([]string{"import", "--data-dir", data, path}, kafka...)...)
	}
	projector, _ = role("project")

	waitFor(t, apiURL, "?from=2021-01-01&to=2021-12-31", func(ov projections.Overview) bool { return ov.Orders == 60_000 })
	var ov projections.Overview
	samples.GetJSON(t, apiURL, "/api/v1/overview?from=2021-01-01&to=2021-12-31", &ov)
	if ov.GMVFen != gmv || ov.RefundsFen != refunds || ov.RefundedOrders != refunded {
		t.Errorf("2021 after the projector's SIGKILL: %s, %d refunded; want GMV %d refunds %d fen, %d refunded", samples.Describe(ov), ov.RefundedOrders, gmv, refunds, refunded)
	}
	waitFor(t, apiURL, "?from=2020-01-01&to=2020-12-31", func(ov projections.Overview) bool { return ov.GMVFen == samples.WantGMV })
	samples.CheckAPIPeriod(t, apiURL, "?from=2020-01-01&to=2020-12-31")
	samples.CheckSumIdentity(t, apiURL, "")

	for _, p := range []*proc{apiNode, projector, ingest} {
		p.stop(t)
	}
}
