package main_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// TestCleanStopAndRebuildLogNoError: a serve stopped by SIGINT or SIGTERM
// after projecting an import, and a successful rebuild, log no ERROR line
// (they logged "level=ERROR ... context canceled").
func TestCleanStopAndRebuildLogNoError(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	run(t, nil, "registry", "load", "--data-dir", data, filepath.Join("..", "..", "internal", "samples", "sampledata", "registry.json"))
	run(t, nil, "import", "--data-dir", data, filepath.Join("testdata", "jd-kuaishou-as-import.csv"))
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		p := start(t, nil, "serve", "--data-dir", data, "--addr", "127.0.0.1:0")
		url := p.waitURL(t, time.Minute)
		waitForOrders(t, url)
		p.cmd.Process.Signal(sig)
		p.wait(t, 30*time.Second)
		if out := p.output(); strings.Contains(out, "level=ERROR") {
			t.Errorf("serve stopped by %s logged an error:\n%s", sig, out)
		}
	}
	for range 3 {
		if out := run(t, nil, "rebuild", "--data-dir", data); strings.Contains(out, "level=ERROR") || !strings.Contains(out, "Rebuilt the read model") {
			t.Errorf("rebuild:\n%s", out)
		}
	}
}

// waitForOrders waits until the node at url answers with projected orders.
func waitForOrders(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var ov projections.Overview
		samples.GetJSON(t, url, "/api/v1/overview", &ov)
		if ov.Orders > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no orders projected within a minute: %s", samples.Describe(ov))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReady waits until the node at url answers /readyz with 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not ready within a minute (%v)", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// files lists the data dir's files, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestRestartsLeaveNoFiles restarts serve, with a JD poller whose cursors
// the node reads back on every start, and runs rebuilds: the data dir holds
// the same files after each (every start used to leave a cursors-<n>.db,
// every rebuild three rebuild-<n>*.db).
func TestRestartsLeaveNoFiles(t *testing.T) {
	t.Parallel()
	jd, err := samples.NewJDPlatform()
	if err != nil {
		t.Fatal(err)
	}
	platform := httptest.NewServer(jd)
	defer platform.Close()
	env := []string{"LOQUAT_JD_APP_SECRET=" + samples.JDAppSecret, "LOQUAT_JD_ACCESS_TOKEN=" + samples.JDAccessToken}
	data := t.TempDir()
	run(t, nil, "registry", "load", "--data-dir", data, filepath.Join("..", "..", "internal", "samples", "sampledata", "registry.json"))
	run(t, nil, "import", "--data-dir", data, filepath.Join("testdata", "jd-kuaishou-as-import.csv"))
	args := []string{"serve", "--data-dir", data, "--addr", "127.0.0.1:0", "--jd-app-key", samples.JDAppKey,
		"--jd-api-url", platform.URL + "/routerjson", "--jd-start", time.Now().Add(-2 * time.Hour).Format(time.RFC3339)}
	var first []string
	for i := range 4 {
		p := start(t, env, args...)
		url := p.waitURL(t, time.Minute)
		waitReady(t, url)
		time.Sleep(time.Second) // the poller reads its cursor as it starts
		p.stop(t)
		if i == 0 {
			run(t, nil, "rebuild", "--data-dir", data)
			first = files(t, data)
			if !slices.Contains(first, filepath.Join("eventlog", "loquat.cursors.db")) {
				t.Fatalf("no cursors topic after the first run: %v", first)
			}
			continue
		}
		if i == 2 {
			run(t, nil, "rebuild", "--data-dir", data)
		}
		if got := files(t, data); !slices.Equal(got, first) {
			t.Fatalf("after %d restarts the data dir holds\n%s\nwant\n%s", i, strings.Join(got, "\n"), strings.Join(first, "\n"))
		}
	}
}
