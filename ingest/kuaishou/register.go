package kuaishou

import (
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Registration is Kuaishou as internal/platforms lists it: its flags, read
// into a Config that a node polls.
var Registration = ingest.Platform{Name: Platform, Flags: flags}

func flags(fs *pflag.FlagSet) func() (ingest.Source, error) {
	var key, api, start string
	fs.StringVar(&key, "kuaishou-app-key", ingest.EnvOr("LOQUAT_KUAISHOU_APP_KEY", ""), "Kuaishou app key; enables the Kuaishou order poller (env LOQUAT_KUAISHOU_APP_KEY). Its sign secret and token come only from env LOQUAT_KUAISHOU_SIGN_SECRET and LOQUAT_KUAISHOU_ACCESS_TOKEN: a flag would show in ps")
	fs.StringVar(&api, "kuaishou-api-url", ingest.EnvOr("LOQUAT_KUAISHOU_API_URL", ""), "Kuaishou open API base URL (env LOQUAT_KUAISHOU_API_URL; default https://openapi.kwaixiaodian.com)")
	fs.StringVar(&start, "kuaishou-start", ingest.EnvOr("LOQUAT_KUAISHOU_START", ""), "where the Kuaishou poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_KUAISHOU_START; default 24 hours ago; at most 90 days back)")
	return func() (ingest.Source, error) {
		t, err := polling.ParseStart("kuaishou-start", start)
		if err != nil {
			return nil, err
		}
		return Config{AppKey: key, SignSecret: Secret(ingest.EnvOr("LOQUAT_KUAISHOU_SIGN_SECRET", "")),
			AccessToken: Secret(ingest.EnvOr("LOQUAT_KUAISHOU_ACCESS_TOKEN", "")), APIBaseURL: api, Start: t}, nil
	}
}

// Platform is "kuaishou".
func (Config) Platform() string { return Platform }

// Enabled reports whether an app key was given.
func (c Config) Enabled() bool { return c.AppKey != "" }

// NewPoller is New.
func (c Config) NewPoller(sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
	return New(c, sink, cursors, logger)
}

var _ ingest.PollingSource = Config{}
