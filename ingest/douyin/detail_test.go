package douyin_test

import (
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

func TestDetailFetchRetries(t *testing.T) {
	tests := []struct {
		name         string
		fail         int // douyinsim.FailRequests
		status, code int
		msgHas       string
		wantRequests int
		wantPaid     bool
	}{
		{name: "first two fail with 500", fail: 2, status: 200, code: 0, wantRequests: 3, wantPaid: true},
		{name: "every attempt fails", fail: -1, status: 503, code: 50300, msgHas: "HTTP 500", wantRequests: douyin.DefaultMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			r.sim.FailRequests(tt.fail)
			wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), tt.status, tt.code, tt.msgHas)
			if n := r.sim.DetailRequests(); n != tt.wantRequests {
				t.Errorf("order.orderDetail calls: want %d, got %d", tt.wantRequests, n)
			}
			events := r.sink.Events()
			if got := len(ingesttest.Find[*domain.OrderPaid](events)); got != map[bool]int{true: 1}[tt.wantPaid] {
				t.Errorf("OrderPaid appended: want %v, got %d", tt.wantPaid, got)
			}
			// The created message needs no detail: it is appended either way.
			if got := len(ingesttest.Find[*domain.OrderCreated](events)); got != 1 {
				t.Errorf("want the OrderCreated appended, got %d", got)
			}
			if n := len(r.sink.DeadLetters()); n != 0 {
				t.Errorf("a fetch failure is no dead letter; got %d", n)
			}
		})
	}
}

// TestDetailRequestRefused: answers that say the request itself is wrong are
// not retried, and the push is answered 503 so the platform sends it again
// once the configuration is fixed.
func TestDetailRequestRefused(t *testing.T) {
	tests := []struct {
		name   string
		adjust func(*douyin.Config)
		empty  bool // the platform does not know the order
		msgHas string
	}{
		{name: "wrong access token", adjust: func(c *douyin.Config) { c.AccessToken = "expired" }, msgHas: "isv.access-token-invalid"},
		{name: "unknown order", empty: true, msgHas: "50002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, tt.adjust)
			if tt.empty {
				sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{})
				mustNoErr(t, err)
				r = rigWithPlatform(t, sim, nil)
			}
			wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), 503, 50300, tt.msgHas)
			if n := r.sim.DetailRequests(); n != 1 {
				t.Errorf("want 1 order.orderDetail call (no retry), got %d", n)
			}
			if n := len(ingesttest.Find[*domain.OrderPaid](r.sink.Events())); n != 0 {
				t.Errorf("want no OrderPaid, got %d", n)
			}
		})
	}
}

// TestSimulatorRejectsWrongSign: the simulator checks the API sign with its
// own code, written from the platform's rule; an adapter signing with
// another secret than the platform's is refused, so a signing bug fails.
func TestSimulatorRejectsWrongSign(t *testing.T) {
	sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppSecret: "the-platform-secret"})
	mustNoErr(t, err)
	mustNoErr(t, sim.AddOrderDetailJSON(readFile(t, "douyin-order-detail.json")))
	r := rigWithPlatform(t, sim, nil) // signs with the sample secret
	wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), 503, 50300, "isv.signature-invalid")
	if n := sim.DetailRequests(); n != 1 {
		t.Errorf("want 1 call, a bad sign is not retried; got %d", n)
	}
}

func TestDetailTimeoutRetried(t *testing.T) {
	sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{})
	mustNoErr(t, err)
	mustNoErr(t, sim.AddOrderDetailJSON(readFile(t, "douyin-order-detail.json")))
	r := rigWithServer(t, sim, slowHandler(sim, 1, 2*time.Second), func(c *douyin.Config) { c.HTTPTimeout = 50 * time.Millisecond })
	wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), 200, 0)
	if n := len(ingesttest.Find[*domain.OrderPaid](r.sink.Events())); n != 1 {
		t.Errorf("want the OrderPaid after a timed-out first attempt, got %d", n)
	}
}

// TestLargeIDsExact: ids near 2^63 and just above 2^53 come out digit for
// digit; through float64 they would be rounded.
func TestLargeIDsExact(t *testing.T) {
	const (
		pid       = "9223372036854775807" // 2^63-1
		sid       = "9223372036854775806"
		sku       = "9007199254740993" // 2^53+1, which float64 rounds to ...992
		room      = "9223372036854775805"
		author    = "9007199254740995"
		aftersale = "9007199254740997"
	)
	r := newRig(t, nil)
	mustNoErr(t, r.sim.AddOrders(douyinsim.ShopOrderDetail{
		OrderID: pid, CreateTime: 1588231200, PayTime: 1588231230, PayAmount: 100,
		SkuOrderList: []douyinsim.SkuOrder{{OrderID: sid, SkuID: 9007199254740993, ItemNum: 1, PayAmount: 100,
			RoomID: 9223372036854775805, AuthorID: 9007199254740995}},
	}))
	b := body(t,
		msg("100", "9223372036854775801", `{"p_id":`+pid+`,"create_time":1588231200}`),
		msg("101", "9223372036854775802", `{"p_id":`+pid+`,"pay_time":1588231230}`),
		msg("206", "9223372036854775803", `{"aftersale_id":`+aftersale+`,"p_id":`+pid+`,"s_id":`+sid+`,"refund_amount":100,"modify_time":1588317630}`),
	)
	wantAnswer(t, r.push(t, b), 200, 0)
	events := r.sink.Events()
	c, p, f := ingesttest.Find[*domain.OrderCreated](events), ingesttest.Find[*domain.OrderPaid](events), ingesttest.Find[*domain.RefundSucceeded](events)
	if len(c) != 1 || len(p) != 1 || len(f) != 1 {
		t.Fatalf("want one created, paid and refund event, got %d, %d, %d", len(c), len(p), len(f))
	}
	l := p[0].Lines[0]
	for _, x := range []struct{ what, want, got string }{
		{"created order_id", pid, c[0].OrderID},
		{"paid order_id", pid, p[0].OrderID},
		{"line_id", sid, l.LineID},
		{"sku_id", sku, l.SKUID},
		{"room_id", room, l.Livestream.RoomID},
		{"anchor_id", author, l.Livestream.AnchorID},
		{"refund order_id", pid, f[0].OrderID},
		{"refund line_id", sid, f[0].LineID},
		{"refund_id", aftersale, f[0].RefundID},
	} {
		if x.got != x.want {
			t.Errorf("%s: want %s, got %s", x.what, x.want, x.got)
		}
	}
}

// rigWithPlatform is newRig around a given platform.
func rigWithPlatform(t *testing.T, sim *douyinsim.Platform, adjust func(*douyin.Config)) *rig {
	t.Helper()
	return rigWithServer(t, sim, sim, adjust)
}
