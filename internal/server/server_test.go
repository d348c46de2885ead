package server_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// nodeOptions say what a test node starts with.
type nodeOptions struct {
	// pollers polls the simulated JD and Kuaishou with the samples.
	pollers bool
	// registry is appended to the log before the node starts, so the
	// pollers' first orders find it.
	registry *domain.RegistryFile
}

// startNode runs a node on a free port in dir with the Douyin sample
// credentials and a simulated 抖店 API (and JD and Kuaishou if asked),
// until the test ends.
func startNode(t *testing.T, dir string, opts nodeOptions) *server.Node {
	t.Helper()
	node, stop := startStoppableNode(t, dir, opts)
	t.Cleanup(stop)
	return node
}

func logConfig() server.LogConfig { return server.LogConfig{} }

// startStoppableNode is startNode with a stop function to call before the
// test ends (to reopen the data dir).
func startStoppableNode(t *testing.T, dir string, opts nodeOptions) (*server.Node, func()) {
	t.Helper()
	platforms, err := samples.StartPlatforms()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(platforms.Close)
	if opts.registry != nil {
		log, err := server.OpenLog(dir, logConfig(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := registry.Append(context.Background(), opts.registry, eventlog.NewWriter(log.Publisher())); err != nil {
			t.Fatal(err)
		}
		log.Close()
	}
	cfg := server.Config{
		DataDir:   dir,
		Addr:      "127.0.0.1:0",
		Platforms: platforms.Sources(opts.pollers),
	}
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	var once sync.Once
	return node, func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node stopped with: %v", err)
			}
		})
	}
}

// sampleRegistry is the parsed samples/registry.json.
func sampleRegistry(t *testing.T) *domain.RegistryFile {
	t.Helper()
	f, err := domain.ParseRegistryFile(samples.File("registry.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// caughtUp waits until the node's pollers caught up once and everything in
// the log is in the read model.
func caughtUp(t *testing.T, node *server.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := node.Polled(ctx); err != nil {
		t.Fatal(err)
	}
	if err := node.CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSamplesThroughEndpointsPollersAndImport(t *testing.T) {
	node := startNode(t, t.TempDir(), nodeOptions{pollers: true, registry: sampleRegistry(t)})
	if err := samples.LoadAllButRegistry(context.Background(), node.URL(), node.Writer()); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, node)
	samples.CheckAPI(t, node.URL())
	checkNoConflicts(t, node.URL())
	for _, q := range []string{"?from=2020-04-30&to=2020-04-30", "?from=2020-05-01&to=2020-05-01", "?from=2020-05-01", "?to=2020-05-02"} {
		samples.CheckSumIdentity(t, node.URL(), q)
	}
}

// waitDeadLetters waits until the API lists n dead letters: they are
// projected by their own consumer.
func waitDeadLetters(t *testing.T, node *server.Node, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		page, err := node.Queries().DeadLetters(context.Background(), projections.Paging{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total >= n || time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
