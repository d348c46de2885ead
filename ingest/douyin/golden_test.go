package douyin_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the handler's output")

// TestGoldenSamples pushes the recorded sample bodies through the real
// handler, with the order detail served by douyinsim, and compares the
// events appended with the golden files.
func TestGoldenSamples(t *testing.T) {
	tests := []struct {
		push, golden string
	}{
		{push: "douyin-push-paid.json", golden: "push-paid.events.json"},
		{push: "douyin-push-refund.json", golden: "push-refund.events.json"},
	}
	for _, tt := range tests {
		t.Run(tt.push, func(t *testing.T) {
			r := newRig(t, nil)
			wantAnswer(t, r.push(t, readFile(t, tt.push)), 200, 0, "success")
			if n := len(r.sink.Batches()); n != 1 {
				t.Fatalf("want one Append call, got %d", n)
			}
			got := eventsJSON(t, r.sink.Events())
			path := filepath.Join("testdata", "golden", tt.golden)
			if *update {
				mustNoErr(t, os.MkdirAll(filepath.Dir(path), 0o755))
				mustNoErr(t, os.WriteFile(path, got, 0o644))
			}
			want := readFile(t, filepath.Join("golden", tt.golden))
			if !bytes.Equal(got, want) {
				t.Errorf("events differ from %s (run with -update to rewrite)\nwant:\n%s\ngot:\n%s", path, want, got)
			}
		})
	}
}

// TestSampleFigures checks the numbers the samples must give, independently
// of the golden files.
func TestSampleFigures(t *testing.T) {
	r := newRig(t, nil)
	wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), 200, 0)
	wantAnswer(t, r.push(t, readFile(t, "douyin-push-refund.json")), 200, 0)
	events := r.sink.Events()
	if len(events) != 3 {
		t.Fatalf("want 3 events (created, paid, refund), got %d", len(events))
	}

	created := ingesttest.Find[*domain.OrderCreated](events)
	if len(created) != 1 || created[0].OrderID != "4981457725012345678" || created[0].CreatedAt.Unix() != 1588231200 {
		t.Errorf("OrderCreated: got %+v", created)
	}

	paid := ingesttest.Find[*domain.OrderPaid](events)
	if len(paid) != 1 || len(paid[0].Lines) != 1 {
		t.Fatalf("want one OrderPaid with one line, got %+v", paid)
	}
	p, l := paid[0], paid[0].Lines[0]
	for _, c := range []struct{ what, want, got string }{
		{"order_id", "4981457725012345678", p.OrderID},
		{"line_id", "4981457725012345679", l.LineID},
		{"sku_id", "1747203364827180", l.SKUID},
		{"amount_fen", "128.00", l.AmountFen.String()},
		{"paid_at", "2020-04-30 15:20:30", p.PaidAt.In(domain.ChinaTime).Format(time.DateTime)},
		{"room_id", "6823941120781224715", l.Livestream.RoomID},
		{"anchor_id", "71286300123", l.Livestream.AnchorID},
	} {
		if c.got != c.want {
			t.Errorf("OrderPaid %s: want %s, got %s", c.what, c.want, c.got)
		}
	}
	if l.AmountFen != 12800 || l.Quantity != 2 {
		t.Errorf("line: want 12800 fen for 2 units, got %d fen for %d", l.AmountFen, l.Quantity)
	}

	refunds := ingesttest.Find[*domain.RefundSucceeded](events)
	if len(refunds) != 1 {
		t.Fatalf("want one RefundSucceeded, got %d", len(refunds))
	}
	rf := refunds[0]
	if rf.AmountFen != 6400 || rf.RefundID != "7012345678901234567" || rf.LineID != "4981457725012345679" {
		t.Errorf("refund: want 6400 fen, aftersale 7012345678901234567, line 4981457725012345679; got %d fen, %s, %s", rf.AmountFen, rf.RefundID, rf.LineID)
	}
	if got := rf.RefundedAt.In(domain.ChinaTime).Format(time.DateTime); got != "2020-05-01 15:20:30" {
		t.Errorf("refunded_at: want 2020-05-01 15:20:30 China time, got %s", got)
	}
	if domain.Day(p.PaidAt) != "2020-04-30" || domain.Day(rf.RefundedAt) != "2020-05-01" {
		t.Errorf("days: want paid 2020-04-30 and refunded 2020-05-01, got %s and %s", domain.Day(p.PaidAt), domain.Day(rf.RefundedAt))
	}
	if n := r.sim.DetailRequests(); n != 1 {
		t.Errorf("want one order.orderDetail request (the paid message), got %d", n)
	}
}
