// Package platformtest is a platform that exists only for tests: it shows
// that a platform is its own folder and one registration line. Register it
// in a test binary with
//
//	platforms.Register(platformtest.Registration)
//
// and serve takes --acme-app-key and --acme-api-url and polls it. The
// platform it polls answers GET /orders?app_key=KEY with a JSON array of
// Order; each becomes an order.paid event.
package platformtest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Platform is the test platform's name.
const Platform = "acme"

// Registration is the test platform as internal/platforms would list it.
var Registration = ingest.Platform{Name: Platform, Flags: flags}

func flags(fs *pflag.FlagSet) func() (ingest.Source, error) {
	var cfg Config
	fs.StringVar(&cfg.AppKey, "acme-app-key", ingest.EnvOr("LOQUAT_ACME_APP_KEY", ""), "Acme app key; enables the Acme poller (env LOQUAT_ACME_APP_KEY)")
	fs.StringVar(&cfg.APIBaseURL, "acme-api-url", ingest.EnvOr("LOQUAT_ACME_API_URL", ""), "Acme API base URL (env LOQUAT_ACME_API_URL)")
	return func() (ingest.Source, error) {
		if cfg.AppKey != "" {
			if u, err := url.Parse(cfg.APIBaseURL); err != nil || u.Host == "" {
				return nil, fmt.Errorf("--acme-api-url=%q is not an http(s) URL", cfg.APIBaseURL)
			}
		}
		return cfg, nil
	}
}

// Config configures the poller.
type Config struct {
	AppKey     string
	APIBaseURL string
	// Interval is the pause between polls. Default 50ms.
	Interval time.Duration
}

// Platform is "acme".
func (Config) Platform() string { return Platform }

// Enabled reports whether an app key was given.
func (c Config) Enabled() bool { return c.AppKey != "" }

// NewPoller builds the poller.
func (c Config) NewPoller(sink ingest.Sink, _ ingest.CursorStore, _ *slog.Logger) (ingest.Poller, error) {
	if c.Interval == 0 {
		c.Interval = 50 * time.Millisecond
	}
	return &poller{cfg: c, sink: sink}, nil
}

// Order is an order as the test platform serves it.
type Order struct {
	OrderID   string     `json:"order_id"`
	SKUID     string     `json:"sku_id"`
	AmountFen domain.Fen `json:"amount_fen"`
	PaidAt    time.Time  `json:"paid_at"`
}

type poller struct {
	cfg  Config
	sink ingest.Sink
}

// Run polls until ctx ends.
func (p *poller) Run(ctx context.Context) error {
	for {
		if err := p.RunOnce(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.cfg.Interval):
		}
	}
}

// RunOnce reads every order once and appends its payment.
func (p *poller) RunOnce(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.cfg.APIBaseURL+"/orders?app_key="+url.QueryEscape(p.cfg.AppKey), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("acme: GET /orders: HTTP %d", resp.StatusCode)
	}
	var orders []Order
	if err := json.NewDecoder(resp.Body).Decode(&orders); err != nil {
		return fmt.Errorf("acme: GET /orders: %w", err)
	}
	var events []domain.Event
	for _, o := range orders {
		events = append(events, &domain.OrderPaid{Platform: Platform, OrderID: o.OrderID, CreatedAt: o.PaidAt, PaidAt: o.PaidAt,
			Lines: []domain.PaidLine{{LineID: o.OrderID + "-1", SKUID: o.SKUID, Quantity: 1, AmountFen: o.AmountFen}}})
	}
	if len(events) == 0 {
		return nil
	}
	return p.sink.Append(ctx, events...)
}

var _ ingest.PollingSource = Config{}
