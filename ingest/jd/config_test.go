package jd_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd"
)

func TestSecretNeverPrinted(t *testing.T) {
	cfg := jd.Config{AppKey: "k", AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token"}
	ingesttest.WantConfigRedacted(t, cfg, cfg.AppSecret, cfg.AccessToken)
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
		MaxLookback:  time.Hour, // no room for a window inside the margin
	}, &collectingSink{}, &memCursors{}, nil)
	ingesttest.WantErrorNaming(t, err, "app_key", "app_secret", "access_token", "api_base_url", "page_size", "overlap", "safety_lag", "NOT_A_STATE", "http_timeout", "max_attempts", "retry_backoff", "max_lookback")
	good := jd.Config{AppKey: "k", AppSecret: "s", AccessToken: "t"}
	if _, err := jd.New(good, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "sink") || !strings.Contains(err.Error(), "cursor store") {
		t.Errorf("want an error naming the nil sink and cursor store, got %v", err)
	}
}

// TestNewTouchesNoNetwork: a poller for an unreachable API builds fine; only
// polling calls out, and a failure there logs no secret.
func TestNewTouchesNoNetwork(t *testing.T) {
	ingesttest.WantQuietUntilRun(t, "s3cr3t", func(url string, cursors *memCursors, logger *slog.Logger) (ingesttest.Poller, error) {
		cfg := jd.Config{
			AppKey: "k", AppSecret: "s3cr3t-app", AccessToken: "s3cr3t-token", APIBaseURL: url,
			MaxAttempts: 2, RetryBackoff: time.Millisecond, MaxRetryBackoff: time.Millisecond,
		}
		return jd.New(cfg, &collectingSink{}, cursors, logger)
	})
}
