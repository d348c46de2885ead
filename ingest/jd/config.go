package jd

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Secret is a credential (the app secret, the access token). It prints,
// marshals and logs as "[redacted]" so a Config can be logged or dumped
// without leaking it; read the value with string(s) only where it is used.
type Secret = polling.Secret

// Defaults of Config's optional fields.
const (
	DefaultAPIBaseURL      = "https://api.jd.com/routerjson"
	DefaultName            = "jd"
	DefaultPageSize        = 100
	DefaultWindow          = 30 * time.Minute
	DefaultOverlap         = 5 * time.Minute
	DefaultInterval        = 30 * time.Second
	DefaultSafetyLag       = time.Minute
	DefaultStartBack       = 24 * time.Hour
	DefaultHTTPTimeout     = 10 * time.Second
	DefaultMaxAttempts     = 5
	DefaultRetryBackoff    = time.Second
	DefaultMaxRetryBackoff = 30 * time.Second
	DefaultStateMemory     = 100_000
	DefaultMaxWindowPasses = 4
	// DefaultMaxLookback is how far back jingdong.pop.order.search is
	// taken to search; see README.md, "Look-back".
	DefaultMaxLookback = 90 * 24 * time.Hour

	// MaxPageSize is the largest page_size JD accepts.
	MaxPageSize = 100
)

// DefaultOrderStates are every orderState the adapter maps (see README.md):
// paid and held, shipped, completed and cancelled orders.
var DefaultOrderStates = []string{
	StateWaitSellerStockOut, StateWaitSellerDelivery, StatePause, StatePopOrderPause, StateLocked,
	StateWaitGoodsReceiveConfirm, StateFinished, StateCanceled,
}

// Config configures a Poller. New fills the defaults, then validates.
type Config struct {
	// AppKey is the JD open-platform (京东宙斯) app key. Required.
	AppKey string
	// AppSecret signs every request. Required.
	AppSecret Secret
	// AccessToken is the shop's authorisation. Required.
	AccessToken Secret
	// APIBaseURL is the router endpoint the requests are posted to.
	// Default DefaultAPIBaseURL.
	APIBaseURL string
	// Name is the cursor's name in the CursorStore. Default "jd".
	Name string
	// PageSize is page_size, 1 to 100. Default 100.
	PageSize int
	// Window is how far past the last window's end one window reaches.
	// Default 30m.
	Window time.Duration
	// Overlap is how long before the last window's end the next window
	// starts: JD's `modified` index lags, so an order modified just before
	// a window's end may only be found by the next one. Default 5m.
	Overlap time.Duration
	// Interval is the pause between polls once caught up. Default 30s.
	Interval time.Duration
	// SafetyLag keeps windows this far behind the clock: the last moments
	// are still being indexed. Default 1m.
	SafetyLag time.Duration
	// Start is where the first window starts when no cursor is saved.
	// Default Now() − 24h. A Start (or a saved cursor) further back than
	// MaxLookback is moved to the earliest time JD searches, with a
	// warning and the gap in Status: older orders come from file imports.
	Start time.Time
	// MaxLookback is how far back JD searches orders by `modified`.
	// Default DefaultMaxLookback (90 days).
	MaxLookback time.Duration
	// OrderStates is order_state, the states asked for. Default
	// DefaultOrderStates.
	OrderStates []string
	// HTTPTimeout bounds each request. Default 10s.
	HTTPTimeout time.Duration
	// MaxAttempts bounds the attempts at one page (the first included) on
	// network errors, HTTP 5xx/429, rate limits and "system busy". Default 5.
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt, doubled for each
	// next one up to MaxRetryBackoff. Defaults 1s and 30s.
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// MaxWindowPasses bounds the passes over one window whose pages moved
	// while it was read (see README.md, "Paging"). Default 4.
	MaxWindowPasses int
	// StateMemory bounds how many orders' last state are remembered to
	// ignore a state that moves backwards. Default 100000.
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
	c.settings().SetDefaults(defaults)
	if c.OrderStates == nil {
		c.OrderStates = append([]string(nil), DefaultOrderStates...)
	}
	if c.MaxWindowPasses == 0 {
		c.MaxWindowPasses = DefaultMaxWindowPasses
	}
	if c.MaxLookback == 0 {
		c.MaxLookback = DefaultMaxLookback
	}
}

// Validate reports every problem of the configuration at once. Run it after
// the defaults are set (New does both): a zero optional field is only valid
// once defaulted.
func (c Config) Validate() error {
	errs := c.settings().Check()
	if c.AppKey == "" {
		errs = append(errs, errors.New("jd: app_key is empty"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("jd: app_secret is empty"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("jd: access_token is empty"))
	}
	if len(c.OrderStates) == 0 {
		errs = append(errs, errors.New("jd: order_states is empty"))
	}
	for _, s := range c.OrderStates {
		if _, ok := stateRanks[s]; !ok {
			errs = append(errs, fmt.Errorf("jd: order state %q is not one the adapter maps", s))
		}
	}
	if c.MaxLookback <= polling.LookbackMargin+c.Window+c.Overlap {
		errs = append(errs, fmt.Errorf("jd: max_lookback %s must exceed window %s, overlap %s and %s of margin together", c.MaxLookback, c.Window, c.Overlap, polling.LookbackMargin))
	}
	if c.MaxWindowPasses < 1 {
		errs = append(errs, fmt.Errorf("jd: max_window_passes is %d, must be at least 1", c.MaxWindowPasses))
	}
	return errors.Join(errs...)
}
