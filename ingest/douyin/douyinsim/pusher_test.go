package douyinsim_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// receiver records pushes and answers them with the codes given, then 0.
type receiver struct {
	mu      sync.Mutex
	codes   []int
	bodies  [][]byte
	headers []http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bodies = append(r.bodies, b)
	r.headers = append(r.headers, req.Header.Clone())
	code := 0
	if len(r.codes) > 0 {
		code, r.codes = r.codes[0], r.codes[1:]
	}
	w.Header().Set("Content-Type", "application/json")
	if code != 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(`{"code":` + strconv.Itoa(code) + `,"msg":"x"}`))
}

func messages(n int) []douyinsim.Message {
	t0 := time.Date(2020, 4, 30, 20, 0, 0, 0, time.UTC)
	out := make([]douyinsim.Message, n)
	for i := range out {
		// Listed out of time order: Push must send them in time order.
		out[i] = douyinsim.Message{Tag: "100", MsgID: strconv.Itoa(i), Data: `{"p_id":` + strconv.Itoa(i) + `}`, At: t0.Add(time.Duration((i*7)%n) * time.Second)}
	}
	return out
}

func newPusher(t *testing.T, opts douyinsim.PusherOptions) *douyinsim.Pusher {
	t.Helper()
	p, err := douyinsim.NewPusher(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPusherSignedBatches(t *testing.T) {
	for _, method := range []string{douyinsim.SignMD5, douyinsim.SignHMACSHA256} {
		t.Run(method, func(t *testing.T) {
			rec := &receiver{}
			srv := httptest.NewServer(rec)
			defer srv.Close()
			var progress []douyinsim.Progress
			p := newPusher(t, douyinsim.PusherOptions{URL: srv.URL, SignMethod: method, BatchSize: 50, OnProgress: func(pr douyinsim.Progress) { progress = append(progress, pr) }})
			msgs := messages(120)
			if err := p.Push(context.Background(), msgs); err != nil {
				t.Fatal(err)
			}
			if len(rec.bodies) != 3 {
				t.Fatalf("want 3 batches, got %d", len(rec.bodies))
			}
			var sent []string
			for i, b := range rec.bodies {
				var raw []map[string]any
				if err := json.Unmarshal(b, &raw); err != nil {
					t.Fatalf("batch %d is not a JSON array: %v", i, err)
				}
				for _, e := range raw {
					if _, ok := e["data"].(string); !ok {
						t.Fatalf("batch %d: data is %T, want a JSON string", i, e["data"])
					}
					sent = append(sent, e["msg_id"].(string))
				}
				if want := map[int]int{0: 50, 1: 50, 2: 20}[i]; len(raw) != want {
					t.Errorf("batch %d: want %d messages, got %d", i, want, len(raw))
				}
				// The documented signature, computed here by hand.
				signed := douyinsim.SampleAppKey + string(b) + douyinsim.SampleAppSecret
				want := md5Hex(signed)
				if method == douyinsim.SignHMACSHA256 {
					mac := hmac.New(sha256.New, []byte(douyinsim.SampleAppSecret))
					mac.Write([]byte(signed))
					want = hex.EncodeToString(mac.Sum(nil))
					if rec.headers[i].Get("sign-method") != "hmac-sha256" {
						t.Errorf("batch %d: sign-method header missing", i)
					}
				}
				if got := rec.headers[i].Get("event-sign"); got != want {
					t.Errorf("batch %d: event-sign want %s, got %s", i, want, got)
				}
			}
			var wantOrder []string
			for _, m := range p.Sequence(msgs) {
				wantOrder = append(wantOrder, m.MsgID)
			}
			if !slices.Equal(sent, wantOrder) {
				t.Error("messages not sent in Sequence order")
			}
			if len(progress) != 3 || progress[2].MessagesDone != 120 || progress[2].BatchesDone != 3 {
				t.Errorf("progress: got %+v", progress)
			}
		})
	}
}

func TestPusherRetriesUntilAccepted(t *testing.T) {
	rec := &receiver{codes: []int{50300, 50300}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	var last douyinsim.Progress
	p := newPusher(t, douyinsim.PusherOptions{URL: srv.URL, Backoff: time.Millisecond, OnProgress: func(pr douyinsim.Progress) { last = pr }})
	if err := p.Push(context.Background(), messages(10)); err != nil {
		t.Fatal(err)
	}
	if len(rec.bodies) != 3 || last.Retries != 2 {
		t.Errorf("want 3 pushes and 2 retries, got %d and %d", len(rec.bodies), last.Retries)
	}
}

func TestPusherGivesUp(t *testing.T) {
	rec := &receiver{codes: []int{40000, 40000, 40000, 40000}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	p := newPusher(t, douyinsim.PusherOptions{URL: srv.URL, Backoff: time.Millisecond, MaxAttempts: 3})
	err := p.Push(context.Background(), messages(10))
	if !errors.Is(err, douyinsim.ErrRejected) || len(rec.bodies) != 3 {
		t.Errorf("want ErrRejected after 3 pushes, got %v after %d", err, len(rec.bodies))
	}
}

func TestPusherSequence(t *testing.T) {
	msgs := messages(100)
	timeOrder := newPusher(t, douyinsim.PusherOptions{URL: "http://x"}).Sequence(msgs)
	if !slices.IsSortedFunc(timeOrder, func(a, b douyinsim.Message) int { return a.At.Compare(b.At) }) {
		t.Error("default sequence is not time order")
	}
	shuffled := newPusher(t, douyinsim.PusherOptions{URL: "http://x", ShuffleWindow: 25, Seed: 1}).Sequence(msgs)
	if slices.EqualFunc(shuffled, timeOrder, func(a, b douyinsim.Message) bool { return a.MsgID == b.MsgID }) {
		t.Error("shuffled sequence equals time order")
	}
	for lo := 0; lo < 100; lo += 25 {
		a, b := ids(timeOrder[lo:lo+25]), ids(shuffled[lo:lo+25])
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("window at %d holds other messages after the shuffle", lo)
		}
	}
}

func ids(msgs []douyinsim.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.MsgID)
	}
	return out
}

func TestPusherOptionsValidate(t *testing.T) {
	_, err := douyinsim.NewPusher(douyinsim.PusherOptions{URL: "not a url", SignMethod: "sha1", BatchSize: -1, ShuffleWindow: -1, MaxAttempts: -1, Backoff: -1})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"url", "sign method", "batch size", "shuffle window", "max attempts", "backoff"} {
		if !contains(err.Error(), want) {
			t.Errorf("error does not report %q: %v", want, err)
		}
	}
}
