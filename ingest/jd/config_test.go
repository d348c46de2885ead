package jd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/jd"
)

func TestSecretNeverPrinted(t *testing.T) {
	cfg := jd.Config{AppKey: "k", AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "secret", cfg.AppSecret, "token", cfg.AccessToken, "config", cfg)
	js, err := json.Marshal(struct{ AppSecret, AccessToken jd.Secret }{cfg.AppSecret, cfg.AccessToken})
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
	_, err := jd.New(jd.Config{
		APIBaseURL:   "ftp://example.com",
		PageSize:     101,
		Overlap:      -time.Minute,
		SafetyLag:    -time.Second,
		OrderStates:  []string{"WAIT_SELLER_STOCK_OUT", "NOT_A_STATE"},
		HTTPTimeout:  -time.Second,
		MaxAttempts:  -1,
		RetryBackoff: -time.Millisecond,
	}, &collectingSink{}, &memCursors{}, nil)
	if err == nil {
		t.Fatal("want an error for an empty config")
	}
	for _, want := range []string{"app_key", "app_secret", "access_token", "api_base_url", "page_size", "overlap", "safety_lag", "NOT_A_STATE", "http_timeout", "max_attempts", "retry_backoff"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
	good := jd.Config{AppKey: "k", AppSecret: "s", AccessToken: "t"}
	if _, err := jd.New(good, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "sink") || !strings.Contains(err.Error(), "cursor store") {
		t.Errorf("want an error naming the nil sink and cursor store, got %v", err)
	}
}

// TestNewTouchesNoNetwork: a poller for an unreachable API builds fine; only
// polling calls out, and a failure there logs no secret.
func TestNewTouchesNoNetwork(t *testing.T) {
	dead := httptest.NewServer(nil)
	url := dead.URL
	dead.Close() // connection refused from now on
	var logs bytes.Buffer
	cursors := &memCursors{}
	cfg := jd.Config{
		AppKey: "k", AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token", APIBaseURL: url,
		MaxAttempts: 2, RetryBackoff: time.Millisecond, MaxRetryBackoff: time.Millisecond,
	}
	p, err := jd.New(cfg, &collectingSink{}, cursors, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	mustNoErr(t, err)
	if cursors.Saves() != 0 || logs.Len() != 0 {
		t.Fatal("New touched the cursor store or logged")
	}
	err = p.RunOnce(context.Background())
	if err == nil {
		t.Fatal("want an error from an unreachable API")
	}
	if strings.Contains(logs.String()+err.Error(), "s3cr3t") {
		t.Errorf("a secret leaked into the logs or the error:\n%s\n%v", logs.String(), err)
	}
	if !strings.Contains(logs.String(), "retrying") {
		t.Errorf("want the retry logged, got:\n%s", logs.String())
	}
}
