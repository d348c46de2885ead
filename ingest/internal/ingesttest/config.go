package ingesttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// WantConfigRedacted checks that a poller's configuration cfg, holding
// secret and token (both containing "s3cr3t"), never shows them: printed
// with every verb, logged (the secrets and the whole configuration) and
// marshalled as JSON, each says "[redacted]" in their place.
func WantConfigRedacted(t *testing.T, cfg any, secret, token polling.Secret) {
	t.Helper()
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "secret", secret, "token", token, "config", cfg)
	js, err := json.Marshal(struct{ Secret, Token polling.Secret }{secret, token})
	MustNoErr(t, err)
	WantRedacted(t, "s3cr3t",
		fmt.Sprint(secret), fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, token, secret),
		string(js), logged.String())
}
