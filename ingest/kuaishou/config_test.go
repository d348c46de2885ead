package kuaishou_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
)

func TestSecretNeverPrinted(t *testing.T) {
	cfg := kuaishou.Config{AppKey: "k", SignSecret: "s3cr3t-sign", AccessToken: "s3cr3t-token"}
	ingesttest.WantConfigRedacted(t, cfg, cfg.SignSecret, cfg.AccessToken)
}

func TestConfigValidate(t *testing.T) {
	now := time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)
	_, err := kuaishou.New(kuaishou.Config{
		SignMethod:  "SHA1",
		APIBaseURL:  "ftp://example.com",
		PageSize:    101,
		Window:      7 * 24 * time.Hour,
		Overlap:     time.Hour,
		SafetyLag:   -time.Second,
		Now:         func() time.Time { return now },
		HTTPTimeout: -time.Second,
		MaxAttempts: -1,
	}, &collectingSink{}, &memCursors{}, nil)
	ingesttest.WantErrorNaming(t, err, "app_key", "sign_secret", "access_token", "sign_method", "api_base_url", "page_size", "7 days", "safety_lag", "http_timeout", "max_attempts")
	good := kuaishou.Config{AppKey: "k", SignSecret: "s", AccessToken: "t"}
	if _, err := kuaishou.New(good, nil, nil, nil); err == nil || !strings.Contains(err.Error(), "sink") || !strings.Contains(err.Error(), "cursor store") {
		t.Errorf("want an error naming the nil sink and cursor store, got %v", err)
	}
}

// TestNewTouchesNoNetwork: a poller for an unreachable API builds fine; only
// polling calls out, and a failure there logs no secret (the token travels
// in the URL: transport errors are stripped of it).
func TestNewTouchesNoNetwork(t *testing.T) {
	ingesttest.WantQuietUntilRun(t, "s3cr3t", func(url string, cursors *memCursors, logger *slog.Logger) (ingesttest.Poller, error) {
		cfg := kuaishou.Config{
			AppKey: "k", SignSecret: "s3cr3t-sign", AccessToken: "s3cr3t-token", APIBaseURL: url,
			MaxAttempts: 2, RetryBackoff: time.Millisecond, MaxRetryBackoff: time.Millisecond,
		}
		return kuaishou.New(cfg, &collectingSink{}, cursors, logger)
	})
}
