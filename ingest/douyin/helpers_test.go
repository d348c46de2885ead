package douyin_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

// Shared with the other adapters' tests (ingest/internal/ingesttest).
var (
	readFile   = ingesttest.ReadTestdata
	mustNoErr  = ingesttest.MustNoErr
	eventsJSON = ingesttest.EventsJSON
	china      = ingesttest.China
)

// The samples' credentials (samples/README.md).
const (
	appKey    = douyinsim.SampleAppKey
	appSecret = douyinsim.SampleAppSecret
	token     = douyinsim.SampleAccessToken
)

// receivedAt is the handler's clock in tests.
var receivedAt = time.Date(2020, 5, 1, 16, 0, 0, 0, domain.ChinaTime)

// collectingSink is the test's event log (ingest/internal/ingesttest).
type collectingSink = ingesttest.Sink

// rig is a handler wired to a simulated platform and a collecting sink.
type rig struct {
	sim     *douyinsim.Platform
	sink    *collectingSink
	handler *douyin.Handler
}

// newRig starts a douyinsim platform holding the sample order and a handler
// calling it; adjust changes the handler's config before it is built.
func newRig(t *testing.T, adjust func(*douyin.Config)) *rig {
	t.Helper()
	sim := sampleSim(t)
	return rigWithServer(t, sim, sim, adjust)
}

// sampleSim is a douyinsim platform holding the sample order.
func sampleSim(t *testing.T) *douyinsim.Platform {
	t.Helper()
	sim, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{})
	mustNoErr(t, err)
	mustNoErr(t, sim.AddOrderDetailJSON(readFile(t, "douyin-order-detail.json")))
	return sim
}

// rigWithServer serves api (sim, or a handler around it) over real HTTP and
// builds a handler calling it.
func rigWithServer(t *testing.T, sim *douyinsim.Platform, api http.Handler, adjust func(*douyin.Config)) *rig {
	t.Helper()
	return rigLogging(t, sim, api, adjust, nil)
}

// rigLogging is rigWithServer with the handler logging to logger.
func rigLogging(t *testing.T, sim *douyinsim.Platform, api http.Handler, adjust func(*douyin.Config), logger *slog.Logger) *rig {
	t.Helper()
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	cfg := douyin.Config{
		AppKey:       appKey,
		AppSecret:    appSecret,
		AccessToken:  token,
		APIBaseURL:   srv.URL,
		RetryBackoff: time.Millisecond,
		Now:          func() time.Time { return receivedAt },
	}
	if adjust != nil {
		adjust(&cfg)
	}
	sink := &collectingSink{}
	h, err := douyin.NewHandler(cfg, sink, logger)
	mustNoErr(t, err)
	return &rig{sim: sim, sink: sink, handler: h}
}

// pushAnswer is the handler's JSON answer.
type pushAnswer struct {
	Status int
	Code   int    `json:"code"`
	Msg    string `json:"msg"`
}

// post sends body to the handler with the given headers.
func (r *rig) post(t *testing.T, body []byte, headers map[string]string) pushAnswer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/ingest/douyin", bytes.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	r.handler.ServeHTTP(w, req)
	var a pushAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("answer %q is not {code, msg}: %v", w.Body.String(), err)
	}
	a.Status = w.Code
	return a
}

// push sends body signed the documented way (MD5).
func (r *rig) push(t *testing.T, body []byte) pushAnswer {
	t.Helper()
	return r.post(t, body, map[string]string{"event-sign": douyinsim.PushSignature(appKey, appSecret, body, douyinsim.SignMD5)})
}

// body encodes push messages with data given as Go values or raw JSON strings.
func body(t *testing.T, msgs ...douyinsim.Message) []byte {
	t.Helper()
	b, err := douyinsim.EncodeBatch(msgs)
	mustNoErr(t, err)
	return b
}

func msg(tag, msgID, data string) douyinsim.Message {
	return douyinsim.Message{Tag: tag, MsgID: msgID, Data: data}
}

func wantAnswer(t *testing.T, got pushAnswer, status, code int, msgHas ...string) {
	t.Helper()
	if got.Status != status || got.Code != code {
		t.Fatalf("answer: want HTTP %d code %d, got HTTP %d code %d (%s)", status, code, got.Status, got.Code, got.Msg)
	}
	for _, s := range msgHas {
		if !strings.Contains(got.Msg, s) {
			t.Errorf("answer msg %q does not name %q", got.Msg, s)
		}
	}
}

// eventsJSON renders events for comparison and golden files.

var errSinkDown = errors.New("event log unavailable")

// slowHandler delays the first n requests to h by d.
func slowHandler(h http.Handler, n int, d time.Duration) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		slow := n > 0
		n--
		mu.Unlock()
		if slow {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func signMD5(key, secret string, b []byte) string {
	return douyinsim.PushSignature(key, secret, b, douyinsim.SignMD5)
}
