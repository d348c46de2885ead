package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// TestLiveStream: the overview page, open in Chromium on a real node
// (embedded log, SQLite read model, projector; loopback without accounts),
// follows the stream: after more orders are appended and projected, its
// figures and its daily trend become the API's new answer, with no reload.
func TestLiveStream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	node, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("node stopped with: %v", err)
		}
	})
	reg, events, err := samples.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wait, stop := context.WithTimeout(ctx, time.Minute) // bounds the waits, asserts nothing
	defer stop()
	if err := node.Writer().Append(wait, reg...); err != nil {
		t.Fatal(err)
	}
	half := len(events) / 2
	if err := node.Writer().Append(wait, events[:half]...); err != nil {
		t.Fatal(err)
	}
	if err := node.CaughtUp(wait); err != nil {
		t.Fatal(err)
	}

	tb := newTab(t, newBrowser(t), node.URL())
	tb.open("/")
	var before projections.Overview
	tb.api("/api/v1/overview", &before)
	equal(t, "gmv_fen before", tb.fen(`[data-field=gmv_fen]`), int64(before.GMVFen))
	tb.waitFor(`document.querySelector('.live.on') !== null`) // the first message came

	if err := node.Writer().Append(wait, events[half:]...); err != nil {
		t.Fatal(err)
	}
	if err := node.CaughtUp(wait); err != nil {
		t.Fatal(err)
	}
	var after projections.Overview
	tb.api("/api/v1/overview", &after)
	if after.GMVFen == before.GMVFen {
		t.Fatal("the second half of the samples changed no GMV: the test would prove nothing")
	}
	tb.waitFor(fmt.Sprintf(`document.querySelector('[data-field=gmv_fen] .money').dataset.fen === '%d'`, after.GMVFen))
	equal(t, "gmv_fen after", tb.fen(`[data-field=gmv_fen]`), int64(after.GMVFen))
	equal(t, "net_fen after", tb.fen(`[data-field=net_fen]`), int64(after.NetFen))
	equal(t, "orders after", tb.count(`[data-field=orders]`), after.Orders)
	var gmv []int64
	for _, d := range after.ByDay {
		gmv = append(gmv, int64(d.GMVFen))
	}
	equalSlices(t, "trend GMV after", tb.chart("chart-trend").series(0), gmv)
}
