package jd

import (
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Registration is JD as internal/platforms lists it: its flags, read into
// a Config that a node polls.
var Registration = ingest.Platform{Name: Platform, Flags: flags}

func flags(fs *pflag.FlagSet) func() (ingest.Source, error) {
	var key, api, start string
	fs.StringVar(&key, "jd-app-key", ingest.EnvOr("LOQUAT_JD_APP_KEY", ""), "JD app key; enables the JD order poller (env LOQUAT_JD_APP_KEY). Its secret and token come only from env LOQUAT_JD_APP_SECRET and LOQUAT_JD_ACCESS_TOKEN: a flag would show in ps")
	fs.StringVar(&api, "jd-api-url", ingest.EnvOr("LOQUAT_JD_API_URL", ""), "JD router endpoint (env LOQUAT_JD_API_URL; default https://api.jd.com/routerjson)")
	fs.StringVar(&start, "jd-start", ingest.EnvOr("LOQUAT_JD_START", ""), "where the JD poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_JD_START; default 24 hours ago)")
	return func() (ingest.Source, error) {
		t, err := polling.ParseStart("jd-start", start)
		if err != nil {
			return nil, err
		}
		return Config{AppKey: key, AppSecret: Secret(ingest.EnvOr("LOQUAT_JD_APP_SECRET", "")),
			AccessToken: Secret(ingest.EnvOr("LOQUAT_JD_ACCESS_TOKEN", "")), APIBaseURL: api, Start: t}, nil
	}
}

// Platform is "jd".
func (Config) Platform() string { return Platform }

// Enabled reports whether an app key was given.
func (c Config) Enabled() bool { return c.AppKey != "" }

// NewPoller is New.
func (c Config) NewPoller(sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
	return New(c, sink, cursors, logger)
}

var _ ingest.PollingSource = Config{}
