package polling

import (
	"fmt"
	"time"
)

// ParseStart reads a poller's start flag: RFC 3339, or empty for the
// poller's default.
func ParseStart(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s=%q is not an RFC 3339 time such as 2020-04-30T00:00:00+08:00: %w", flag, v, err)
	}
	return t, nil
}
