package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// TestWindowGuardsWebhookAndPollers: a node whose accept window opens on
// 2020-05-01 dead-letters the samples' orders of 2020-04-30 on the Douyin
// webhook and the JD and Kuaishou pollers alike, each under its source's
// name with the rule in the reason, and counts none of them; the webhook
// still answers 200 (the message was received and kept).
func TestWindowGuardsWebhookAndPollers(t *testing.T) {
	dir := t.TempDir()
	platforms, err := samples.StartPlatforms()
	if err != nil {
		t.Fatal(err)
	}
	defer platforms.Close()
	log, err := server.OpenLog(dir, logConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Append(context.Background(), sampleRegistry(t), eventlog.NewWriter(log.Publisher())); err != nil {
		t.Fatal(err)
	}
	log.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node, err := server.Open(ctx, server.Config{
		DataDir: dir, Addr: "127.0.0.1:0",
		Accept:    domain.AcceptWindow{From: time.Date(2020, 5, 1, 0, 0, 0, 0, domain.ChinaTime)},
		Platforms: platforms.Sources(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for i, name := range samples.DouyinPushes {
		if status, answer, err := samples.PushDouyin(ctx, node.URL(), samples.File(name), i == 0); err != nil || status != http.StatusOK {
			t.Fatalf("push %s: %d %s %v; want 200", name, status, answer, err)
		}
	}
	caughtUp(t, node)
	waitDeadLetters(t, node, 3)
	page, err := node.Queries().DeadLetters(ctx, projections.Paging{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]int{}
	for _, dl := range page.Items {
		if strings.Contains(dl.Reason, "is before 2020-05-01 00:00:00, when records begin") {
			refused[dl.Source]++
		}
	}
	for _, source := range []string{"douyin", "jd", "kuaishou"} {
		if refused[source] == 0 {
			t.Errorf("no dead letter from %s for a time before the window; got %+v", source, page.Items)
		}
	}
	ov, err := node.Queries().Overview(ctx, projections.Period{})
	if err != nil {
		t.Fatal(err)
	}
	if ov.GMVFen != 0 || ov.Orders != 0 {
		t.Errorf("overview %s: want nothing counted, every payment was before the window", samples.Describe(ov))
	}
}

// TestBadAcceptWindowRefused: a negative skew is a configuration error
// from Open, not a panic later.
func TestBadAcceptWindowRefused(t *testing.T) {
	_, err := server.Open(context.Background(), server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Accept: domain.AcceptWindow{Skew: -time.Hour}})
	if err == nil || !strings.Contains(err.Error(), "skew") {
		t.Fatalf("got %v, want an error naming the skew", err)
	}
}
