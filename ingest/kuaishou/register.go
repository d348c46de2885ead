package kuaishou

import (
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Registration is Kuaishou as internal/platforms lists it: its flags, read
// into a Config that a node polls.
var Registration = ingest.Platform{Name: Platform, Flags: polling.Flags(Platform, polling.FlagHelp{
	AppKey: "Kuaishou app key; enables the Kuaishou order poller (env LOQUAT_KUAISHOU_APP_KEY). Its sign secret and token come only from env LOQUAT_KUAISHOU_SIGN_SECRET and LOQUAT_KUAISHOU_ACCESS_TOKEN: a flag would show in ps",
	APIURL: "Kuaishou open API base URL (env LOQUAT_KUAISHOU_API_URL; default https://openapi.kwaixiaodian.com)",
	Start:  "where the Kuaishou poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_KUAISHOU_START; default 24 hours ago; at most 90 days back)",
}, func(appKey, apiURL string, start time.Time) ingest.Source {
	return Config{AppKey: appKey, SignSecret: Secret(ingest.EnvOr("LOQUAT_KUAISHOU_SIGN_SECRET", "")),
		AccessToken: Secret(ingest.EnvOr("LOQUAT_KUAISHOU_ACCESS_TOKEN", "")), APIBaseURL: apiURL, Start: start}
})}

// Platform is "kuaishou"; Enabled reports whether an app key was given;
// NewPoller is New.
func (Config) Platform() string { return Platform }
func (c Config) Enabled() bool  { return c.AppKey != "" }
func (c Config) NewPoller(sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
	return New(c, sink, cursors, logger)
}
