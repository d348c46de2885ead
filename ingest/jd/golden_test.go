package jd_test

import (
	"flag"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the poller's output")

// TestGoldenSample compares the events of samples/jd-order-search.json with
// the golden file (ingesttest.Polled.WantGoldenSample).
func TestGoldenSample(t *testing.T) { polled.WantGoldenSample(t, *update) }

// TestSampleFigures checks the numbers samples/README.md gives for the JD
// orders, independently of the golden file.
func TestSampleFigures(t *testing.T) {
	r := polled.SampleRun(t)
	events := r.Sink.Events()
	if got := len(ingesttest.Find[*domain.OrderCreated](events)); got != 2 {
		t.Errorf("want 2 OrderCreated, got %d", got)
	}
	paid := map[string]*domain.OrderPaid{}
	for _, e := range ingesttest.Find[*domain.OrderPaid](events) {
		paid[e.OrderID] = e
	}
	for _, c := range []struct {
		order, paidAt string
		fen           domain.Fen
		qty           int64
	}{
		{"121543920127", "2020-04-30 20:15:19", 10980, 2},
		{"121543988410", "2020-04-30 20:16:58", 5990, 1},
	} {
		p := paid[c.order]
		if p == nil || len(p.Lines) != 1 {
			t.Fatalf("order %s: want one OrderPaid with one line, got %+v", c.order, p)
		}
		l := p.Lines[0]
		if l.AmountFen != c.fen || l.Quantity != c.qty || l.SKUID != "100012043978" || l.LineID != "100012043978" {
			t.Errorf("order %s line: want %d fen for %d of sku 100012043978, got %d fen for %d of %s (line %s)", c.order, c.fen, c.qty, l.AmountFen, l.Quantity, l.SKUID, l.LineID)
		}
		if got := p.PaidAt.In(domain.ChinaTime).Format(time.DateTime); got != c.paidAt {
			t.Errorf("order %s paid_at: want %s China time, got %s", c.order, c.paidAt, got)
		}
	}
	cancels := ingesttest.Find[*domain.OrderCancelled](events)
	if len(cancels) != 1 {
		t.Fatalf("want one OrderCancelled, got %d", len(cancels))
	}
	c := cancels[0]
	if c.OrderID != "121543988410" || !c.WasPaid || len(c.Lines) != 1 || c.Lines[0].AmountFen != 5990 {
		t.Errorf("cancellation: want order 121543988410 paid, refunding 5990 fen; got %+v", c)
	}
	if got := c.CancelledAt.In(domain.ChinaTime).Format(time.DateTime); got != "2020-05-01 09:02:11" {
		t.Errorf("cancelled_at: want 2020-05-01 09:02:11 China time, got %s", got)
	}
	f := tally(events)
	if f.GMVFen != 16970 || f.RefundsFen != 5990 || f.NetFen != 10980 {
		t.Errorf("figures: want GMV 16970, refunds 5990, net 10980 fen; got %+v", f.Totals)
	}
	if f.ByDay["2020-04-30"].GMVFen != 16970 || f.ByDay["2020-05-01"].RefundsFen != 5990 {
		t.Errorf("by day: want GMV 16970 on 2020-04-30 and refunds 5990 on 2020-05-01, got %+v", f.ByDay)
	}
	if got := r.Cursors.Get("jd"); got != "2020-05-01T09:59:00+08:00" {
		t.Errorf("cursor: want the window end 2020-05-01T09:59:00+08:00 (now less the safety lag), got %q", got)
	}
}
