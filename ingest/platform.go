package ingest

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/spf13/pflag"
)

// Platform is what a node needs to know of a platform to take its orders:
// its command-line flags and, once they are parsed, its Source. Each
// ingest/<platform> package declares one (its Registration); the list of
// them is internal/platforms, one line a platform, and serve, the demo and
// the samples loop over it.
type Platform struct {
	// Name is the platform's name: its flags' prefix, the guard's source.
	Name string
	// Flags registers the platform's flags on fs, each defaulting to its
	// environment variable, and returns what reads them into a Source once
	// fs is parsed. An error names the flag at fault.
	Flags func(fs *pflag.FlagSet) func() (Source, error)
}

// Source is one platform's configuration as a node is given it. A source
// polls (PollingSource) or takes pushes (PushSource).
type Source interface {
	// Platform names the platform: the guard's source, the poller's name.
	Platform() string
	// Enabled reports whether the platform was configured (its app key
	// given). A node polls no disabled source, and answers a disabled
	// push source's path with 503.
	Enabled() bool
}

// PollingSource is a platform a node polls.
type PollingSource interface {
	Source
	// NewPoller validates the configuration and builds the poller; it does
	// not touch the network or the cursors.
	NewPoller(sink Sink, cursors CursorStore, logger *slog.Logger) (Poller, error)
}

// PushSource is a platform that pushes to a node's HTTP path.
type PushSource interface {
	Source
	// Path is where the pushes are posted, such as /ingest/douyin.
	Path() string
	// NewHandler validates the configuration and builds the handler. Its
	// error says what to set: the node does not start with it.
	NewHandler(sink Sink, logger *slog.Logger) (http.Handler, error)
	// Disabled is what the path answers, with a 503, while the source is
	// not enabled: how to enable it.
	Disabled() string
}

// CatchUpper is a poller that can also catch up to now once and return.
type CatchUpper interface {
	RunOnce(ctx context.Context) error
}

// EnvOr returns the environment variable name, or def when it is unset or
// empty: a flag's default.
func EnvOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
