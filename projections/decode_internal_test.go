package projections

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// TestDecodeMessagesInChunks decodes a batch on four goroutines, with bad
// messages first and last in every chunk: each message keeps its own
// event or error, in place.
func TestDecodeMessagesInChunks(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	const n = 4*decodeChunk + 7
	workers := min(4, n/decodeChunk)
	per := (n + workers - 1) / workers
	if workers < 2 {
		t.Fatalf("%d messages make %d chunks; the test needs several", n, workers)
	}
	bad := map[int]bool{n - 1: true}
	for k := 0; k < workers; k++ {
		bad[k*per] = true
		if k > 0 {
			bad[k*per-1] = true
		}
	}
	at := time.Date(2021, 3, 1, 10, 0, 0, 0, domain.ChinaTime)
	ms := make([]decodedMessage, n)
	for i := range ms {
		msg, err := eventlog.NewMessage(&domain.OrderPaid{Platform: "jd", OrderID: fmt.Sprint(i), CreatedAt: at, PaidAt: at,
			Lines: []domain.PaidLine{{LineID: "1", SKUID: "1", Quantity: 1, AmountFen: 100}}})
		if err != nil {
			t.Fatal(err)
		}
		if bad[i] {
			msg.Payload = []byte(`{"platform":"jd","order_id":"x","not_a_field":1}`)
		}
		ms[i] = decodedMessage{msg: msg}
	}
	decodeMessages(ms)
	for i, d := range ms {
		switch {
		case bad[i] && d.err == nil:
			t.Errorf("message %d: bad, decoded without an error", i)
		case !bad[i] && d.err != nil:
			t.Errorf("message %d: %v", i, d.err)
		case !bad[i] && d.event.(*domain.OrderPaid).OrderID != fmt.Sprint(i):
			t.Errorf("message %d decoded as order %s", i, d.event.(*domain.OrderPaid).OrderID)
		}
	}
}
