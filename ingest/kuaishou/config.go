package kuaishou

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Secret is a credential (the sign secret, the access token). It prints,
// marshals and logs as "[redacted]" so a Config can be logged or dumped
// without leaking it; read the value with string(s) only where it is used.
type Secret = polling.Secret

// Sign methods the platform accepts.
const (
	SignHMACSHA256 = "HMAC_SHA256"
	SignMD5        = "MD5"
)

// Defaults of Config's optional fields.
const (
	DefaultAPIBaseURL      = "https://openapi.kwaixiaodian.com"
	DefaultName            = "kuaishou"
	DefaultPageSize        = 100
	DefaultWindow          = time.Hour
	DefaultOverlap         = 5 * time.Minute
	DefaultInterval        = 30 * time.Second
	DefaultSafetyLag       = time.Minute
	DefaultStartBack       = 24 * time.Hour
	DefaultHTTPTimeout     = 10 * time.Second
	DefaultMaxAttempts     = 5
	DefaultRetryBackoff    = time.Second
	DefaultMaxRetryBackoff = 30 * time.Second
	DefaultStateMemory     = 100_000

	// MaxPageSize is the largest pageSize the platform accepts.
	MaxPageSize = 100
	// MaxSpan is the longest beginTime–endTime span the platform accepts.
	MaxSpan = 7 * 24 * time.Hour
	// MaxLookback is how far back the platform searches.
	MaxLookback = 90 * 24 * time.Hour
)

// Config configures a Poller. New fills the defaults, then validates.
type Config struct {
	// AppKey is the app's appkey (its client id). Required.
	AppKey string
	// SignSecret signs every request: the app's signSecret (应用详情), not
	// its appSecret, which only the OAuth token exchange uses. Required.
	SignSecret Secret
	// AccessToken is the shop's authorisation. Required.
	AccessToken Secret
	// SignMethod is HMAC_SHA256 (the platform's recommendation) or MD5.
	// Default HMAC_SHA256.
	SignMethod string
	// APIBaseURL is the platform's host; the path /open/order/cursor/list
	// is added. Default DefaultAPIBaseURL.
	APIBaseURL string
	// Name is the cursor's name in the CursorStore. Default "kuaishou".
	Name string
	// PageSize is pageSize, 1 to 100. Default 100.
	PageSize int
	// Window is how far past the last window's end one window reaches.
	// Window + Overlap is at most 7 days. Default 1h.
	Window time.Duration
	// Overlap is how long before the last window's end the next window
	// starts, so an update recorded late is still found. Default 5m.
	Overlap time.Duration
	// Interval is the pause between polls once caught up. Default 30s.
	Interval time.Duration
	// SafetyLag keeps windows this far behind the clock. Default 1m.
	SafetyLag time.Duration
	// Start is where the first window starts when no cursor is saved.
	// Default Now() − 24h. The platform searches at most 90 days back: a
	// Start (or a saved cursor) further back is moved to the earliest time
	// it searches, with a warning and the gap in Status; older orders come
	// from file imports.
	Start time.Time
	// HTTPTimeout bounds each request. Default 10s.
	HTTPTimeout time.Duration
	// MaxAttempts bounds the attempts at one page (the first included) on
	// network errors, HTTP 5xx/429 and rate limits. Default 5.
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt, doubled for each
	// next one up to MaxRetryBackoff. Defaults 1s and 30s.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// StateMemory bounds how many orders' last status are remembered to
	// ignore a status that moves backwards. Default 100000.
	StateMemory int
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// HTTPClient makes the requests. Default: a client whose Timeout is
	// HTTPTimeout. HTTPTimeout applies to each request either way.
	HTTPClient *http.Client
}

// defaults are the Default constants of the settings every poller has.
var defaults = polling.Defaults{
	APIBaseURL: DefaultAPIBaseURL, Name: DefaultName, PageSize: DefaultPageSize,
	Window: DefaultWindow, Overlap: DefaultOverlap, Interval: DefaultInterval, SafetyLag: DefaultSafetyLag,
	HTTPTimeout: DefaultHTTPTimeout, MaxAttempts: DefaultMaxAttempts,
	RetryBackoff: DefaultRetryBackoff, MaxRetryBackoff: DefaultMaxRetryBackoff,
	StateMemory: DefaultStateMemory, StartBack: DefaultStartBack,
}

// settings are c's settings every poller has, for polling to default and
// check in place.
func (c *Config) settings() polling.Settings {
	return polling.Settings{
		Platform: Platform, MaxPageSize: MaxPageSize,
		APIBaseURL: &c.APIBaseURL, Name: &c.Name, PageSize: &c.PageSize,
		Window: &c.Window, Overlap: &c.Overlap, Interval: &c.Interval, SafetyLag: &c.SafetyLag,
		HTTPTimeout: &c.HTTPTimeout, MaxAttempts: &c.MaxAttempts,
		RetryBackoff: &c.RetryBackoff, MaxRetryBackoff: &c.MaxRetryBackoff,
		StateMemory: &c.StateMemory, Now: &c.Now, Start: &c.Start, HTTPClient: &c.HTTPClient,
	}
}

func (c *Config) setDefaults() {
	if c.SignMethod == "" {
		c.SignMethod = SignHMACSHA256
	}
	c.settings().SetDefaults(defaults)
}

// Validate reports every problem of the configuration at once. Run it after
// the defaults are set (New does both): a zero optional field is only valid
// once defaulted.
func (c Config) Validate() error {
	errs := c.settings().Check()
	if c.AppKey == "" {
		errs = append(errs, errors.New("kuaishou: app_key is empty"))
	}
	if c.SignSecret == "" {
		errs = append(errs, errors.New("kuaishou: sign_secret is empty"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("kuaishou: access_token is empty"))
	}
	if c.SignMethod != SignHMACSHA256 && c.SignMethod != SignMD5 {
		errs = append(errs, fmt.Errorf("kuaishou: sign_method %q is neither %s nor %s", c.SignMethod, SignHMACSHA256, SignMD5))
	}
	if c.Window+c.Overlap > MaxSpan {
		errs = append(errs, fmt.Errorf("kuaishou: window %s plus overlap %s exceeds the platform's 7 days", c.Window, c.Overlap))
	}
	return errors.Join(errs...)
}
