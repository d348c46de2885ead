package douyin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Secret is a credential. It prints, marshals and logs as "[redacted]" so a
// Config can be logged or dumped without leaking the app secret or token;
// read the value with string(s) only where it is used.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Defaults of Config's optional fields.
const (
	DefaultAPIBaseURL        = "https://openapi-fxg.jinritemai.com"
	DefaultHTTPTimeout       = 5 * time.Second
	DefaultMaxAttempts       = 4
	DefaultRetryBackoff      = 100 * time.Millisecond
	DefaultDetailConcurrency = 4

	// maxRetryBackoff caps the doubling so a long outage never makes one
	// push wait longer than the platform's own timeout by much.
	maxRetryBackoff = 2 * time.Second
)

// Config configures the Douyin (抖店) push handler and its order-detail client.
type Config struct {
	// AppKey is the 抖店 app key. Required.
	AppKey string
	// AppSecret signs pushes and API calls. Required.
	AppSecret Secret
	// AccessToken is the shop's token for order.orderDetail. Required.
	AccessToken Secret
	// APIBaseURL is where order.orderDetail is called. Default DefaultAPIBaseURL.
	APIBaseURL string
	// HTTPTimeout bounds each order-detail request. Default 5s.
	HTTPTimeout time.Duration
	// MaxAttempts bounds the order-detail requests per order and push,
	// the first included. Default 4.
	MaxAttempts int
	// RetryBackoff is the wait before the second attempt, doubled for each
	// next one and capped at 2s. Default 100ms.
	RetryBackoff time.Duration
	// DetailConcurrency bounds the order-detail requests one push makes at
	// the same time. Default 4.
	DetailConcurrency int
	// Now is the clock, for receipt times, dead letters and API timestamps.
	// Default time.Now.
	Now func() time.Time
	// HTTPClient makes the order-detail requests. Default: a client whose
	// Timeout is HTTPTimeout. HTTPTimeout applies to each request either way.
	HTTPClient *http.Client
}

func (c *Config) setDefaults() {
	if c.APIBaseURL == "" {
		c.APIBaseURL = DefaultAPIBaseURL
	}
	if c.HTTPTimeout == 0 {
		c.HTTPTimeout = DefaultHTTPTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.DetailConcurrency == 0 {
		c.DetailConcurrency = DefaultDetailConcurrency
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.HTTPClient == nil {
		// Keep enough idle connections for every concurrent fetch of
		// several pushes at once: the default keeps two per host, and
		// reconnecting for each fetch costs more than the fetch.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.HTTPClient = &http.Client{Timeout: c.HTTPTimeout, Transport: t}
	}
}

// Validate reports every problem of the configuration at once. Run it after
// the defaults are set (NewHandler does both): a zero optional field is only
// valid once defaulted.
func (c Config) Validate() error {
	var errs []error
	if c.AppKey == "" {
		errs = append(errs, errors.New("douyin: app_key is empty"))
	}
	if c.AppSecret == "" {
		errs = append(errs, errors.New("douyin: app_secret is empty"))
	}
	if c.AccessToken == "" {
		errs = append(errs, errors.New("douyin: access_token is empty"))
	}
	if u, err := url.Parse(c.APIBaseURL); err != nil {
		errs = append(errs, fmt.Errorf("douyin: api_base_url: %w", err))
	} else if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("douyin: api_base_url %q is not an http(s) URL", c.APIBaseURL))
	}
	if c.HTTPTimeout <= 0 {
		errs = append(errs, fmt.Errorf("douyin: http_timeout is %s, must be positive", c.HTTPTimeout))
	}
	if c.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("douyin: max_attempts is %d, must be at least 1", c.MaxAttempts))
	}
	if c.RetryBackoff <= 0 {
		errs = append(errs, fmt.Errorf("douyin: retry_backoff is %s, must be positive", c.RetryBackoff))
	}
	if c.DetailConcurrency < 1 {
		errs = append(errs, fmt.Errorf("douyin: detail_concurrency is %d, must be at least 1", c.DetailConcurrency))
	}
	if c.Now == nil {
		errs = append(errs, errors.New("douyin: now is nil"))
	}
	if c.HTTPClient == nil {
		errs = append(errs, errors.New("douyin: http_client is nil"))
	}
	return errors.Join(errs...)
}
