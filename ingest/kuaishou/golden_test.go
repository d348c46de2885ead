package kuaishou_test

import (
	"flag"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the poller's output")

// TestGoldenSample compares the events of
// samples/kuaishou-order-cursor-list.json with the golden file (ingesttest.Polled.WantGoldenSample).
func TestGoldenSample(t *testing.T) { polled.WantGoldenSample(t, *update) }

// TestSampleFigures checks the numbers samples/README.md gives for the
// Kuaishou order, independently of the golden file.
func TestSampleFigures(t *testing.T) {
	r := polled.SampleRun(t)
	events := r.Sink.Events()
	created := ingesttest.Find[*domain.OrderCreated](events)
	if len(created) != 1 || created[0].OrderID != "2004301234567890" || created[0].CreatedAt.UnixMilli() != 1588246400000 {
		t.Errorf("OrderCreated: want order 2004301234567890 at 1588246400000 ms, got %+v", created)
	}
	paid := ingesttest.Find[*domain.OrderPaid](events)
	if len(paid) != 1 || len(paid[0].Lines) != 1 {
		t.Fatalf("want one OrderPaid with one line, got %+v", paid)
	}
	p, l := paid[0], paid[0].Lines[0]
	if l.AmountFen != 7960 || l.Quantity != 2 || l.SKUID != "2168351009120" || l.LineID != "2004301234567890" {
		t.Errorf("line: want 7960 fen for 2 of sku 2168351009120, line 2004301234567890; got %d fen for %d of %s, line %s", l.AmountFen, l.Quantity, l.SKUID, l.LineID)
	}
	if got := p.PaidAt.In(domain.ChinaTime).Format(time.DateTime); got != "2020-04-30 19:33:32" || domain.Day(p.PaidAt) != "2020-04-30" {
		t.Errorf("paid_at: want 2020-04-30 19:33:32 China time, got %s", got)
	}
	if l.Livestream == nil || l.Livestream.RoomID != "1887203345" || l.Livestream.AnchorName != "凤凰山助农主播" {
		t.Errorf("livestream: want distributor 1887203345 凤凰山助农主播, got %+v", l.Livestream)
	}
	if p.BuyerRef != "f19a0c6e2bd0a1b7c0b6f3d4a9e2c1d8" {
		t.Errorf("buyer_ref: want the buyerOpenId, got %q", p.BuyerRef)
	}
	if domain.LivestreamID("kuaishou", l.Livestream) != "kuaishou:1887203345" {
		t.Errorf("livestream id: got %q", domain.LivestreamID("kuaishou", l.Livestream))
	}
	f := tally(events)
	if f.GMVFen != 7960 || f.RefundsFen != 0 || f.NetFen != 7960 || f.ByRoom["1887203345"].GMVFen != 7960 {
		t.Errorf("figures: want GMV and net 7960 fen, all through distributor 1887203345; got %+v", f)
	}
	if len(ingesttest.Find[*domain.OrderShipped](events))+len(ingesttest.Find[*domain.OrderCompleted](events))+len(ingesttest.Find[*domain.OrderCancelled](events)) != 0 {
		t.Error("status 30 (paid) should give no shipment, completion or cancellation")
	}
}
