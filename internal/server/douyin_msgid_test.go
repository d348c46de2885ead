package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// TestDouyinMessageIDsAsSentAreCounted pushes the sample order through the
// signed /ingest/douyin endpoint of a real node (SQLite log and read model)
// with the msg_ids real senders use: 22 digits as a JSON number and as a
// string, and "7065106405339121446:0:101". msg_id is only carried, so the
// order's money counts; before, each such message was a dead letter and the
// push was answered 400 naming "msg_id -".
func TestDouyinMessageIDsAsSentAreCounted(t *testing.T) {
	node := startNode(t, t.TempDir(), nodeOptions{registry: sampleRegistry(t)})
	ctx := context.Background()
	paid := string(samples.File("douyin-push-paid.json"))
	paid = strings.Replace(paid, `"msg_id":"7290431982013410561"`, `"msg_id":7065106405339121446100`, 1)
	paid = strings.Replace(paid, `"msg_id":"7290431982013410562"`, `"msg_id":"7065106405339121446:0:101"`, 1)
	refund := strings.Replace(string(samples.File("douyin-push-refund.json")), `"msg_id":"7290431982013419901"`, `"msg_id":"7065106405339121446206"`, 1)
	if !strings.Contains(paid, "7065106405339121446100") || !strings.Contains(paid, "7065106405339121446:0:101") || !strings.Contains(refund, "7065106405339121446206") {
		t.Fatal("the sample pushes' msg_ids were not replaced: has samples/douyin-push-*.json changed?")
	}
	for i, body := range []string{paid, refund} {
		status, answer, err := samples.PushDouyin(ctx, node.URL(), []byte(body), i == 0)
		if err != nil || status != http.StatusOK {
			t.Fatalf("push %d: HTTP %d %s %v, want 200", i, status, answer, err)
		}
	}
	caughtUp(t, node)

	var ov projections.Overview
	samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
	if ov.GMVFen != 12800 || ov.RefundsFen != 6400 || ov.NetFen != 6400 || ov.Orders != 1 || ov.RefundedOrders != 1 {
		t.Errorf("overview: %s; want GMV 12800, refunds 6400, net 6400 fen, 1 order, 1 refunded", samples.Describe(ov))
	}
	var dl projections.Page[projections.DeadLetterItem]
	samples.GetJSON(t, node.URL(), "/api/v1/dead-letters", &dl)
	if dl.Total != 0 {
		t.Errorf("want no dead letters, got %d: %+v", dl.Total, dl.Items)
	}
}
