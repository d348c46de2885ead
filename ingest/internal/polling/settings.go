package polling

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Settings are the settings every poller has. The fields point into the
// platform's Config, so that SetDefaults fills them in place and Check reads
// them, while each platform lists its fields once (its Config's settings
// method) and keeps them flat and documented in its own Config.
type Settings struct {
	Platform    string // starts every error: "jd"
	MaxPageSize int    // the largest page the platform serves

	APIBaseURL      *string
	Name            *string
	PageSize        *int
	Window          *time.Duration
	Overlap         *time.Duration
	Interval        *time.Duration
	SafetyLag       *time.Duration
	HTTPTimeout     *time.Duration
	MaxAttempts     *int
	RetryBackoff    *time.Duration
	MaxRetryBackoff *time.Duration
	StateMemory     *int
	Now             *func() time.Time
	Start           *time.Time
	HTTPClient      **http.Client
}

// Defaults are what SetDefaults puts in the zero settings: a platform's
// Default constants.
type Defaults struct {
	APIBaseURL      string
	Name            string
	PageSize        int
	Window          time.Duration
	Overlap         time.Duration
	Interval        time.Duration
	SafetyLag       time.Duration
	HTTPTimeout     time.Duration
	MaxAttempts     int
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	StateMemory     int
	// StartBack is how long before Now the first window starts when Start
	// is zero.
	StartBack time.Duration
}

// SetDefaults fills the zero settings from d. Now defaults to time.Now,
// Start to StartBack before Now, and HTTPClient to a client whose Timeout is
// HTTPTimeout (defaulted first). A field set to anything but its zero value
// is kept, even if Check will refuse it.
func (s Settings) SetDefaults(d Defaults) {
	*s.APIBaseURL = cmp.Or(*s.APIBaseURL, d.APIBaseURL)
	*s.Name = cmp.Or(*s.Name, d.Name)
	*s.PageSize = cmp.Or(*s.PageSize, d.PageSize)
	*s.Window = cmp.Or(*s.Window, d.Window)
	*s.Overlap = cmp.Or(*s.Overlap, d.Overlap)
	*s.Interval = cmp.Or(*s.Interval, d.Interval)
	*s.SafetyLag = cmp.Or(*s.SafetyLag, d.SafetyLag)
	*s.HTTPTimeout = cmp.Or(*s.HTTPTimeout, d.HTTPTimeout)
	*s.MaxAttempts = cmp.Or(*s.MaxAttempts, d.MaxAttempts)
	*s.RetryBackoff = cmp.Or(*s.RetryBackoff, d.RetryBackoff)
	*s.MaxRetryBackoff = cmp.Or(*s.MaxRetryBackoff, d.MaxRetryBackoff)
	*s.StateMemory = cmp.Or(*s.StateMemory, d.StateMemory)
	if *s.Now == nil {
		*s.Now = time.Now
	}
	if s.Start.IsZero() {
		*s.Start = (*s.Now)().Add(-d.StartBack)
	}
	if *s.HTTPClient == nil {
		*s.HTTPClient = &http.Client{Timeout: *s.HTTPTimeout}
	}
}

// Check reports every problem of the settings, each naming its field as the
// configuration file does. Run it after SetDefaults: a zero optional field
// is only valid once defaulted.
func (s Settings) Check() []error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(s.Platform+": "+format, args...))
	}
	if u, err := url.Parse(*s.APIBaseURL); err != nil {
		fail("api_base_url: %w", err)
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fail("api_base_url %q is not an http(s) URL", *s.APIBaseURL)
	}
	if *s.Name == "" {
		fail("name is empty")
	}
	if *s.PageSize < 1 || *s.PageSize > s.MaxPageSize {
		fail("page_size is %d, must be 1 to %d", *s.PageSize, s.MaxPageSize)
	}
	if *s.Window < time.Second {
		fail("window is %s, must be at least 1s", *s.Window)
	}
	if *s.Overlap < 0 {
		fail("overlap is %s, must not be negative", *s.Overlap)
	}
	if *s.Interval <= 0 {
		fail("interval is %s, must be positive", *s.Interval)
	}
	if *s.SafetyLag < 0 {
		fail("safety_lag is %s, must not be negative", *s.SafetyLag)
	}
	if *s.HTTPTimeout <= 0 {
		fail("http_timeout is %s, must be positive", *s.HTTPTimeout)
	}
	if *s.MaxAttempts < 1 {
		fail("max_attempts is %d, must be at least 1", *s.MaxAttempts)
	}
	if *s.RetryBackoff <= 0 || *s.MaxRetryBackoff < *s.RetryBackoff {
		fail("retry_backoff %s and max_retry_backoff %s must be positive, the first not above the second", *s.RetryBackoff, *s.MaxRetryBackoff)
	}
	if *s.StateMemory < 1 {
		fail("state_memory is %d, must be at least 1", *s.StateMemory)
	}
	if *s.Now == nil {
		fail("now is nil")
	}
	if s.Start.IsZero() {
		fail("start is zero")
	}
	if *s.HTTPClient == nil {
		fail("http_client is nil")
	}
	return errs
}

// Retry is how the settings retry one API call.
func (s Settings) Retry() Retry {
	return Retry{MaxAttempts: *s.MaxAttempts, Backoff: *s.RetryBackoff, MaxBackoff: *s.MaxRetryBackoff}
}

// HTTP is how the settings make one request, answers bounded to maxAnswer
// bytes, each answer's Date told to clock (nil: to none).
func (s Settings) HTTP(maxAnswer int64, clock *PlatformClock) HTTP {
	return HTTP{Client: *s.HTTPClient, Timeout: *s.HTTPTimeout, MaxAnswer: maxAnswer, Clock: clock, Now: *s.Now}
}
