package server_test

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// startNode runs a node on a free port in dir with the Douyin sample
// credentials and a simulated 抖店 API, until the test ends.
func startNode(t *testing.T, dir string) *server.Node {
	t.Helper()
	node, stop := startStoppableNode(t, dir)
	t.Cleanup(stop)
	return node
}

func logConfig() server.LogConfig { return server.LogConfig{} }

// startStoppableNode is startNode with a stop function to call before the
// test ends (to reopen the data dir).
func startStoppableNode(t *testing.T, dir string) (*server.Node, func()) {
	t.Helper()
	platform, err := samples.NewDouyinPlatform()
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(platform)
	t.Cleanup(api.Close)
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, server.Config{
		DataDir: dir,
		Addr:    "127.0.0.1:0",
		Douyin: douyin.Config{AppKey: samples.DouyinAppKey, AppSecret: samples.DouyinAppSecret,
			AccessToken: douyinsim.SampleAccessToken, APIBaseURL: api.URL},
	})
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

func caughtUp(t *testing.T, node *server.Node) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := node.CaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestSamplesThroughEndpointsAndImport(t *testing.T) {
	node := startNode(t, t.TempDir())
	if err := samples.LoadAll(context.Background(), node.URL(), node.Writer()); err != nil {
		t.Fatal(err)
	}
	caughtUp(t, node)
	samples.CheckAPI(t, node.URL())
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
