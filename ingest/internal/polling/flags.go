package polling

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/ingest"
)

// FlagHelp are the help texts of a poller's flags.
type FlagHelp struct {
	AppKey, APIURL, Start string
}

// Flags are a poller's flags as serve takes them, for its ingest.Platform:
// --NAME-app-key, --NAME-api-url and --NAME-start, each defaulting to its
// environment variable LOQUAT_NAME_APP_KEY, ..._API_URL, ..._START. build
// makes the platform's Config of what they say (the secrets come from the
// environment only: a flag would show in ps).
func Flags(name string, help FlagHelp, build func(appKey, apiURL string, start time.Time) ingest.Source) func(*pflag.FlagSet) func() (ingest.Source, error) {
	env := "LOQUAT_" + strings.ToUpper(name) + "_"
	return func(fs *pflag.FlagSet) func() (ingest.Source, error) {
		var key, api, start string
		fs.StringVar(&key, name+"-app-key", ingest.EnvOr(env+"APP_KEY", ""), help.AppKey)
		fs.StringVar(&api, name+"-api-url", ingest.EnvOr(env+"API_URL", ""), help.APIURL)
		fs.StringVar(&start, name+"-start", ingest.EnvOr(env+"START", ""), help.Start)
		return func() (ingest.Source, error) {
			t, err := parseStart(name+"-start", start)
			if err != nil {
				return nil, err
			}
			return build(key, api, t), nil
		}
	}
}

// parseStart reads a poller's start flag: RFC 3339, or empty for the
// poller's default.
func parseStart(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s=%q is not an RFC 3339 time such as 2020-04-30T00:00:00+08:00: %w", flag, v, err)
	}
	return t, nil
}
