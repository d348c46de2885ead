package polling

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// config stands for a platform's Config: its own flat fields, which
// settings points at.
type config struct {
	APIBaseURL                                        string
	Name                                              string
	PageSize, MaxAttempts, StateMemory                int
	Window, Overlap, Interval, SafetyLag, HTTPTimeout time.Duration
	RetryBackoff, MaxRetryBackoff                     time.Duration
	Now                                               func() time.Time
	Start                                             time.Time
	HTTPClient                                        *http.Client
}

func (c *config) settings() Settings {
	return Settings{
		Platform: "test", MaxPageSize: 50,
		APIBaseURL: &c.APIBaseURL, Name: &c.Name, PageSize: &c.PageSize,
		Window: &c.Window, Overlap: &c.Overlap, Interval: &c.Interval, SafetyLag: &c.SafetyLag,
		HTTPTimeout: &c.HTTPTimeout, MaxAttempts: &c.MaxAttempts,
		RetryBackoff: &c.RetryBackoff, MaxRetryBackoff: &c.MaxRetryBackoff,
		StateMemory: &c.StateMemory, Now: &c.Now, Start: &c.Start, HTTPClient: &c.HTTPClient,
	}
}

var testDefaults = Defaults{
	APIBaseURL: "https://api.example.com", Name: "test", PageSize: 50,
	Window: time.Hour, Overlap: time.Minute, Interval: time.Second, SafetyLag: time.Minute,
	HTTPTimeout: 7 * time.Second, MaxAttempts: 3, RetryBackoff: time.Second, MaxRetryBackoff: 8 * time.Second,
	StateMemory: 10, StartBack: 24 * time.Hour,
}

func TestSetDefaults(t *testing.T) {
	now := time.Date(2020, 5, 1, 12, 0, 0, 0, time.UTC)
	t.Run("zero fields take the defaults", func(t *testing.T) {
		c := config{Now: func() time.Time { return now }}
		c.settings().SetDefaults(testDefaults)
		if c.APIBaseURL != testDefaults.APIBaseURL || c.Name != "test" || c.PageSize != 50 || c.Window != time.Hour ||
			c.Overlap != time.Minute || c.Interval != time.Second || c.SafetyLag != time.Minute || c.MaxAttempts != 3 ||
			c.RetryBackoff != time.Second || c.MaxRetryBackoff != 8*time.Second || c.StateMemory != 10 {
			t.Errorf("defaults not set: %+v", c)
		}
		if !c.Start.Equal(now.Add(-24 * time.Hour)) {
			t.Errorf("start %s, want StartBack before now", c.Start)
		}
		if c.HTTPClient == nil || c.HTTPClient.Timeout != 7*time.Second {
			t.Errorf("http client %+v, want one whose Timeout is HTTPTimeout", c.HTTPClient)
		}
		if errs := c.settings().Check(); len(errs) != 0 {
			t.Errorf("defaulted settings fail their check: %v", errs)
		}
	})
	t.Run("set fields are kept, even wrong ones", func(t *testing.T) {
		client := &http.Client{}
		start := now.Add(-time.Hour)
		c := config{Name: "mine", PageSize: 500, Overlap: -time.Second, HTTPTimeout: time.Second, Start: start, HTTPClient: client}
		c.settings().SetDefaults(testDefaults)
		if c.Name != "mine" || c.PageSize != 500 || c.Overlap != -time.Second || c.HTTPClient != client || !c.Start.Equal(start) || c.Now == nil {
			t.Errorf("set fields changed: %+v", c)
		}
	})
}

func TestCheck(t *testing.T) {
	valid := func() config {
		c := config{}
		c.settings().SetDefaults(testDefaults)
		return c
	}
	tests := []struct {
		name   string
		change func(*config)
		want   string // in the error; "" for none
	}{
		{"defaults", func(*config) {}, ""},
		{"not http", func(c *config) { c.APIBaseURL = "ftp://example.com" }, `test: api_base_url "ftp://example.com" is not an http(s) URL`},
		{"no host", func(c *config) { c.APIBaseURL = "https://" }, "api_base_url"},
		{"no name", func(c *config) { c.Name = "" }, "test: name is empty"},
		{"page above the platform's", func(c *config) { c.PageSize = 51 }, "page_size is 51, must be 1 to 50"},
		{"short window", func(c *config) { c.Window = time.Millisecond }, "window is 1ms"},
		{"negative overlap", func(c *config) { c.Overlap = -time.Second }, "overlap"},
		{"no interval", func(c *config) { c.Interval = 0 }, "interval"},
		{"negative lag", func(c *config) { c.SafetyLag = -time.Second }, "safety_lag"},
		{"no timeout", func(c *config) { c.HTTPTimeout = 0 }, "http_timeout"},
		{"no attempts", func(c *config) { c.MaxAttempts = 0 }, "max_attempts"},
		{"backoff above its bound", func(c *config) { c.RetryBackoff = time.Minute }, "retry_backoff"},
		{"no memory", func(c *config) { c.StateMemory = 0 }, "state_memory"},
		{"no clock", func(c *config) { c.Now = nil }, "now is nil"},
		{"no start", func(c *config) { c.Start = time.Time{} }, "start is zero"},
		{"no client", func(c *config) { c.HTTPClient = nil }, "http_client is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			errs := c.settings().Check()
			if tt.want == "" {
				if len(errs) != 0 {
					t.Errorf("want no error, got %v", errs)
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) {
				t.Errorf("want one error naming %q, got %v", tt.want, errs)
			}
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		c := valid()
		c.Name, c.PageSize, c.MaxAttempts = "", 0, 0
		if errs := c.settings().Check(); len(errs) != 3 {
			t.Errorf("want 3 errors, got %v", errs)
		}
	})
}

func TestSecretRedacted(t *testing.T) {
	s := Secret("s3cr3t")
	js, _ := s.MarshalJSON()
	txt, _ := s.MarshalText()
	for _, out := range []string{s.String(), s.GoString(), string(js), string(txt), s.LogValue().String()} {
		if strings.Contains(out, "s3cr3t") || !strings.Contains(out, "[redacted]") {
			t.Errorf("want [redacted], got %s", out)
		}
	}
	if string(s) != "s3cr3t" {
		t.Error("string(s) is not the value")
	}
}
