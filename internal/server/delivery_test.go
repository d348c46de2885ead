package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/samples"
	"github.com/loquat-dev/loquat/projections"
)

// delivery is one message of the samples: a Douyin push of a single message,
// or a one-row import file.
type delivery struct {
	name string
	send func(t *testing.T, url string, sink *eventlog.Writer)
}

// sampleDeliveries splits every sample order message into its own delivery.
func sampleDeliveries(t *testing.T) []delivery {
	var out []delivery
	for _, name := range samples.DouyinPushes {
		var msgs []json.RawMessage
		if err := json.Unmarshal(samples.File(name), &msgs); err != nil {
			t.Fatal(err)
		}
		for i, m := range msgs {
			body := append(append([]byte("["), m...), ']')
			out = append(out, delivery{name: fmt.Sprintf("%s#%d", name, i), send: func(t *testing.T, url string, _ *eventlog.Writer) {
				status, answer, err := samples.PushDouyin(context.Background(), url, body, i%2 == 0)
				if err != nil || status != http.StatusOK {
					t.Fatalf("push %s#%d: %d %s %v", name, i, status, answer, err)
				}
			}})
		}
	}
	// The JD and Kuaishou samples: a poll of each simulated platform from
	// scratch (new cursors), so each delivery repeats every order.
	out = append(out, delivery{name: "poll jd and kuaishou", send: func(t *testing.T, _ string, sink *eventlog.Writer) {
		platforms, err := samples.StartPlatforms()
		if err != nil {
			t.Fatal(err)
		}
		defer platforms.Close()
		if err := samples.PollOnce(context.Background(), platforms, sink); err != nil {
			t.Fatal(err)
		}
	}})
	for _, name := range samples.ImportFiles {
		lines := strings.Split(strings.TrimSpace(string(samples.File(name))), "\n")
		for i, row := range lines[1:] {
			content := []byte(lines[0] + "\n" + row + "\n")
			out = append(out, delivery{name: fmt.Sprintf("%s:%d", name, i+2), send: func(t *testing.T, _ string, sink *eventlog.Writer) {
				sum, err := samples.ImportBytes(context.Background(), name, content, sink)
				if err != nil || sum.Events != 1 {
					t.Fatalf("import %s row %d: %+v %v", name, i+2, sum, err)
				}
			}})
		}
	}
	return out
}

// TestSamplesDeliveredTwiceInShuffledOrder sends every sample message twice
// in a random order (refunds before their payments among them) and expects
// exactly the figures of in-order, exactly-once delivery.
func TestSamplesDeliveredTwiceInShuffledOrder(t *testing.T) {
	orders := map[string]func([]delivery) []delivery{
		// Every refund before its payment, every message twice in a row.
		"reversed": func(ds []delivery) []delivery {
			var out []delivery
			for i := len(ds) - 1; i >= 0; i-- {
				out = append(out, ds[i], ds[i])
			}
			return out
		},
	}
	for seed := uint64(1); seed <= 3; seed++ {
		orders[fmt.Sprintf("shuffled%d", seed)] = func(ds []delivery) []delivery {
			all := append(append([]delivery{}, ds...), ds...)
			r := rand.New(rand.NewPCG(seed, 99))
			r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			return all
		}
	}
	for name, arrange := range orders {
		t.Run(name, func(t *testing.T) {
			node := startNode(t, t.TempDir(), nodeOptions{registry: sampleRegistry(t)})
			var sent []string
			for _, d := range arrange(sampleDeliveries(t)) {
				sent = append(sent, d.name)
				d.send(t, node.URL(), node.Writer())
			}
			t.Logf("delivery order: %s", strings.Join(sent, ", "))
			caughtUp(t, node)
			samples.CheckAPI(t, node.URL())
			checkNoConflicts(t, node.URL())
		})
	}
}

func TestBadSignatureStoresNothing(t *testing.T) {
	node := startNode(t, t.TempDir(), nodeOptions{})
	ctx := context.Background()
	body := samples.File("douyin-push-paid.json")
	for name, header := range map[string]map[string]string{
		"missing":      {},
		"wrong md5":    {"event-sign": samples.SignMD5(append([]byte(nil), body[:len(body)-1]...))},
		"wrong hmac":   {"event-sign": samples.SignMD5(body), "sign-method": "hmac-sha256"},
		"not hex":      {"event-sign": "zz"},
		"other secret": {"event-sign": "0c80c7f1abdbd9c8c4193fa99f9a3dc5"},
	} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, node.URL()+"/ingest/douyin", bytes.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s signature: HTTP %d, want 401", name, resp.StatusCode)
		}
	}
	for _, topic := range []string{eventlog.TopicEvents, eventlog.TopicDeadLetters} {
		end, err := node.Log().End(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if end[0] != 0 {
			t.Errorf("after unsigned pushes %s holds %d messages, want none", topic, end[0])
		}
	}
}

func TestMalformedBodyIsDeadLetteredAndValidMessagesCount(t *testing.T) {
	node := startNode(t, t.TempDir(), nodeOptions{registry: sampleRegistry(t)})
	ctx := context.Background()
	// A body that is not JSON: 400 and one dead letter.
	garbage := []byte(`[{"tag":"101","msg_id":`)
	status, answer, err := samples.PushDouyin(ctx, node.URL(), garbage, false)
	if err != nil || status != http.StatusBadRequest {
		t.Fatalf("malformed body: HTTP %d %s %v, want 400", status, answer, err)
	}
	// A good message beside a bad one: the good one counts, the bad one is kept.
	var msgs []json.RawMessage
	json.Unmarshal(samples.File("douyin-push-paid.json"), &msgs)
	mixed := []byte(`[` + string(msgs[0]) + `,` + string(msgs[1]) + `,{"tag":"206","msg_id":"7290431982013499999","data":"{\"p_id\":\"x\"}"}]`)
	status, answer, err = samples.PushDouyin(ctx, node.URL(), mixed, true)
	if err != nil || status != http.StatusBadRequest || !strings.Contains(answer, "7290431982013499999") {
		t.Fatalf("mixed body: HTTP %d %s %v, want 400 naming the bad msg_id", status, answer, err)
	}
	if status, answer, err = samples.PushDouyin(ctx, node.URL(), samples.File("douyin-push-refund.json"), false); err != nil || status != http.StatusOK {
		t.Fatalf("refund push: HTTP %d %s %v", status, answer, err)
	}
	// And a file with one bad row among good ones.
	if sum, err := samples.ImportBytes(ctx, "orders.csv", []byte("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id\n"+
		"file,832-X,1,832-FLW-0107,1,12.345,paid,2020-05-02T10:21:00+08:00,\n"+
		"file,832-20200502-000118,1,832-FLW-0107,1,89.00,paid,2020-05-02T10:24:30+08:00,\n"), node.Writer()); err != nil || sum.Events != 1 || sum.Rejected != 1 {
		t.Fatalf("import with a bad row: %+v %v", sum, err)
	}
	caughtUp(t, node)
	waitDeadLetters(t, node, 3)

	var dl projections.Page[projections.DeadLetterItem]
	samples.GetJSON(t, node.URL(), "/api/v1/dead-letters", &dl)
	reasons, raws := "", map[string]bool{}
	for _, item := range dl.Items {
		reasons += item.Source + ": " + item.Reason + "\n"
		raws[item.Raw] = true
	}
	if dl.Total != 3 || !strings.Contains(reasons, "7290431982013499999") || !strings.Contains(reasons, "12.345") || !raws[string(garbage)] {
		t.Fatalf("want 3 dead letters: the malformed body as received, the bad message, the bad row; got %d:\n%s", dl.Total, reasons)
	}
	var ov projections.Overview
	samples.GetJSON(t, node.URL(), "/api/v1/overview", &ov)
	if ov.GMVFen != 12800+8900 || ov.RefundsFen != 6400 {
		t.Fatalf("valid messages beside bad ones: %s, want GMV 21700 refunds 6400", samples.Describe(ov))
	}
}
