package douyin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/douyin"
)

func TestSecretNeverPrinted(t *testing.T) {
	cfg := douyin.Config{AppKey: appKey, AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "secret", cfg.AppSecret, "token", cfg.AccessToken)
	js, err := json.Marshal(struct{ AppSecret, AccessToken douyin.Secret }{cfg.AppSecret, cfg.AccessToken})
	mustNoErr(t, err)
	for _, out := range []string{
		fmt.Sprint(cfg.AppSecret), fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg.AccessToken, cfg.AppSecret),
		string(js), logged.String(),
	} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("a secret leaked: %s", out)
		}
		if !strings.Contains(out, "[redacted]") {
			t.Errorf("want [redacted] in %s", out)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	_, err := douyin.NewHandler(douyin.Config{
		APIBaseURL:   "ftp://example.com",
		HTTPTimeout:  -time.Second,
		MaxAttempts:  -1,
		RetryBackoff: -time.Millisecond,
	}, &collectingSink{}, nil)
	if err == nil {
		t.Fatal("want an error for an empty config")
	}
	// Every problem at once, not the first only.
	for _, want := range []string{"app_key", "app_secret", "access_token", "api_base_url", "http_timeout", "max_attempts", "retry_backoff"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	if _, err := douyin.NewHandler(douyin.Config{AppKey: "k", AppSecret: "s", AccessToken: "t"}, nil, nil); err == nil || !strings.Contains(err.Error(), "sink") {
		t.Errorf("want an error naming the nil sink, got %v", err)
	}
}

// TestInitTouchesNoNetwork: a handler for an unreachable API builds fine;
// only a push that needs an order detail calls out.
func TestInitTouchesNoNetwork(t *testing.T) {
	if _, err := douyin.NewHandler(douyin.Config{AppKey: appKey, AppSecret: appSecret, AccessToken: token}, &collectingSink{}, nil); err != nil {
		t.Fatalf("defaults: %v", err)
	}
}

// TestLogsCarryNoSecrets: a failing detail call logs the failure without
// the access token its URL carries, or the app secret.
func TestLogsCarryNoSecrets(t *testing.T) {
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close() // connection refused from now on
	var logs bytes.Buffer
	cfg := douyin.Config{AppKey: appKey, AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token", APIBaseURL: url, MaxAttempts: 2, RetryBackoff: time.Millisecond}
	h, err := douyin.NewHandler(cfg, &collectingSink{}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	mustNoErr(t, err)
	r := &rig{sink: &collectingSink{}, handler: h}
	b := readFile(t, "douyin-push-paid.json")
	a := r.post(t, b, map[string]string{"event-sign": signMD5(appKey, "s3cr3t-app", b)})
	wantAnswer(t, a, 503, 50300)
	if strings.Contains(logs.String()+a.Msg, "s3cr3t") {
		t.Errorf("a secret leaked into the logs or the answer:\n%s\n%s", logs.String(), a.Msg)
	}
	if !strings.Contains(logs.String(), `"order_id":"4981457725012345678"`) {
		t.Errorf("want the failing order id in the logs, got:\n%s", logs.String())
	}
}
