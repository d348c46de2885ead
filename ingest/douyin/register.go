package douyin

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/ingest"
)

// Registration is Douyin as internal/platforms lists it: its flags, read
// into a Config whose pushes a node takes at /ingest/douyin.
var Registration = ingest.Platform{Name: Platform, Flags: flags}

func flags(fs *pflag.FlagSet) func() (ingest.Source, error) {
	var key, secret, token, api string
	fs.StringVar(&key, "douyin-app-key", ingest.EnvOr("LOQUAT_DOUYIN_APP_KEY", ""), "抖店 app key; enables POST /ingest/douyin (env LOQUAT_DOUYIN_APP_KEY)")
	fs.StringVar(&secret, "douyin-app-secret", "", "抖店 app secret (prefer env LOQUAT_DOUYIN_APP_SECRET: flags show in ps)")
	fs.StringVar(&token, "douyin-access-token", "", "抖店 shop access token (prefer env LOQUAT_DOUYIN_ACCESS_TOKEN)")
	fs.StringVar(&api, "douyin-api-url", ingest.EnvOr("LOQUAT_DOUYIN_API_URL", DefaultAPIBaseURL), "抖店 open API base URL for order details (env LOQUAT_DOUYIN_API_URL)")
	return func() (ingest.Source, error) {
		if secret == "" {
			secret = ingest.EnvOr("LOQUAT_DOUYIN_APP_SECRET", "")
		}
		if token == "" {
			token = ingest.EnvOr("LOQUAT_DOUYIN_ACCESS_TOKEN", "")
		}
		return Config{AppKey: key, AppSecret: Secret(secret), AccessToken: Secret(token), APIBaseURL: api}, nil
	}
}

// Platform is "douyin".
func (Config) Platform() string { return Platform }

// Enabled reports whether an app key was given.
func (c Config) Enabled() bool { return c.AppKey != "" }

// Path is where 抖店 posts its pushes.
func (Config) Path() string { return "/ingest/douyin" }

// Disabled says how to enable the path.
func (Config) Disabled() string {
	return "douyin ingest is not configured: start with --douyin-app-key and LOQUAT_DOUYIN_APP_SECRET"
}

// NewHandler is the package's NewHandler, its error on one line with what to
// set: a key without what must go with it stops the node from starting, as
// serving would answer every push 503 while /readyz said ready.
func (c Config) NewHandler(sink ingest.Sink, logger *slog.Logger) (http.Handler, error) {
	h, err := NewHandler(c, sink, logger)
	if err != nil {
		hint := "check --douyin-api-url"
		if c.AppSecret == "" || c.AccessToken == "" {
			hint = "with --douyin-app-key set LOQUAT_DOUYIN_APP_SECRET and LOQUAT_DOUYIN_ACCESS_TOKEN, or start without the key"
		}
		return nil, fmt.Errorf("douyin ingest is misconfigured: %s; %s", strings.ReplaceAll(err.Error(), "\n", "; "), hint)
	}
	return h, nil
}

var _ ingest.PushSource = Config{}
