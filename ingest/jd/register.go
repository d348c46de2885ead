package jd

import (
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Registration is JD as internal/platforms lists it: its flags, read into
// a Config that a node polls.
var Registration = ingest.Platform{Name: Platform, Flags: polling.Flags(Platform, polling.FlagHelp{
	AppKey: "JD app key; enables the JD order poller (env LOQUAT_JD_APP_KEY). Its secret and token come only from env LOQUAT_JD_APP_SECRET and LOQUAT_JD_ACCESS_TOKEN: a flag would show in ps",
	APIURL: "JD router endpoint (env LOQUAT_JD_API_URL; default https://api.jd.com/routerjson)",
	Start:  "where the JD poller starts when it has no cursor yet, RFC 3339 (env LOQUAT_JD_START; default 24 hours ago)",
}, func(appKey, apiURL string, start time.Time) ingest.Source {
	return Config{AppKey: appKey, AppSecret: Secret(ingest.EnvOr("LOQUAT_JD_APP_SECRET", "")),
		AccessToken: Secret(ingest.EnvOr("LOQUAT_JD_ACCESS_TOKEN", "")), APIBaseURL: apiURL, Start: start}
})}

// Platform is "jd"; Enabled reports whether an app key was given; NewPoller
// is New.
func (Config) Platform() string { return Platform }
func (c Config) Enabled() bool  { return c.AppKey != "" }
func (c Config) NewPoller(sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (ingest.Poller, error) {
	return New(c, sink, cursors, logger)
}
