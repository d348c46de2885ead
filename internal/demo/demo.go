package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/registry"
	"github.com/loquat-dev/loquat/internal/server"
	"github.com/loquat-dev/loquat/projections"
)

// Options configures a demo run.
type Options struct {
	// DataDir keeps the demo's data; default a new temporary directory,
	// removed when the demo ends.
	DataDir string
	// Addr is the API's listen address. Default 127.0.0.1:8080.
	Addr string
	// Day is the China-time date of the livestream, YYYY-MM-DD. Its
	// refunds, deliveries and cancellations run for about a week after it,
	// and the demo writes nothing later than now, so a day too recent is
	// refused. Default the latest day that has fully happened (about a week
	// ago), so that the households' trailing-year income includes it.
	Day string
	// Orders is how many orders the livestream sells. Default 1600.
	Orders int
	// Seed makes the day. Default 1.
	Seed uint64
	// Out receives what the demo did; Progress receives the push progress bar.
	Out, Progress io.Writer
	Logger        *slog.Logger
	// Now is the clock nothing the demo writes may be later than. Default time.Now.
	Now func() time.Time
}

// Validate reports every problem of the options at once.
func (o Options) Validate() error {
	var errs []error
	if o.Orders < 0 || o.Orders > maxOrders {
		errs = append(errs, fmt.Errorf("--orders=%d: want 1 to %d", o.Orders, maxOrders))
	}
	if o.Day != "" {
		if _, err := domain.ParseDay(o.Day); err != nil {
			errs = append(errs, fmt.Errorf("--day=%q is not a date YYYY-MM-DD", o.Day))
		}
	}
	if o.Addr != "" {
		if _, _, err := net.SplitHostPort(o.Addr); err != nil {
			errs = append(errs, fmt.Errorf("--addr=%q is not host:port, e.g. 127.0.0.1:8080 (:0 picks a free port)", o.Addr))
		}
	}
	return errors.Join(errs...)
}

// maxOrders bounds the livestream's size: the day is generated in memory.
const maxOrders = 1_000_000

func (o *Options) setDefaults() {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8080"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Orders == 0 {
		o.Orders = 1600
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Demo app credentials of the simulated shop.
const (
	appKey    = "7100000000000000001"
	appSecret = "loquat-demo-secret"
	token     = "loquat-demo-token"
)

// Run loads the demo district, pushes a simulated livestream day through the
// node's signed Douyin endpoint, prints what it did and where to look, and
// keeps serving until ctx ends.
func Run(ctx context.Context, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	o.setDefaults()
	plan, err := chooseDay(o.Day, o.Orders, o.Seed, o.Now())
	if err != nil {
		return err
	}
	o.Day = domain.Day(plan.day)
	if o.DataDir == "" {
		dir, err := os.MkdirTemp("", "loquat-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.DataDir = dir
	}

	// The simulated 抖店 open platform, serving order details.
	platform, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppKey: appKey, AppSecret: appSecret, AccessToken: token, Seed: int64(o.Seed)})
	if err != nil {
		return err
	}
	simListener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start simulated Douyin API: %w", err)
	}
	sim := &http.Server{Handler: platform, ReadHeaderTimeout: 5 * time.Second}
	go sim.Serve(simListener)
	defer sim.Close()

	day := plan.day
	shops, err := startShelves(plan)
	if err != nil {
		return err
	}
	defer shops.close()
	jdCfg, ksCfg := shops.pollerConfigs(day)

	// The registry goes into the log first, so the pollers' first orders
	// find their listings.
	reg, err := Registry(o.Day)
	if err != nil {
		return err
	}
	log, err := server.OpenLog(o.DataDir, server.LogConfig{}, o.Logger)
	if err != nil {
		return err
	}
	sum, err := registry.Append(ctx, reg, eventlog.NewWriter(log.Publisher()))
	log.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "Loaded the demo district %s: %d towns, %d villages, %d households, %d enterprises, %d listings.\n",
		reg.District.Name, len(towns), sum.Villages, sum.Households, sum.Enterprises, sum.Listings)
	accounts, err := createAccounts(ctx, o.DataDir, reg)
	if err != nil {
		return err
	}

	node, err := server.Open(ctx, server.Config{
		DataDir: o.DataDir,
		Addr:    o.Addr,
		Logger:  o.Logger,
		Platforms: []ingest.Source{douyin.Config{AppKey: appKey, AppSecret: appSecret, AccessToken: token,
			APIBaseURL: "http://" + simListener.Addr().String()}, jdCfg, ksCfg},
	})
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	fail := func(err error) error {
		stop()
		return errors.Join(err, <-done)
	}

	live := plan.live
	if err := platform.AddOrders(live.Orders...); err != nil {
		return fail(err)
	}
	bar := progressbar.NewOptions(len(live.Messages),
		progressbar.OptionSetDescription("pushing the livestream day"),
		progressbar.OptionSetWriter(o.Progress), progressbar.OptionShowCount(),
		progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	pusher, err := douyinsim.NewPusher(douyinsim.PusherOptions{
		URL: node.URL() + "/ingest/douyin", AppKey: appKey, AppSecret: appSecret, BatchSize: 50, ShuffleWindow: 40, Seed: o.Seed,
		OnProgress: func(p douyinsim.Progress) { bar.Set(p.MessagesDone) },
	})
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err := pusher.Push(ctx, live.Messages); err != nil {
		return fail(err)
	}
	bar.Finish()
	fileGMV, income, err := exports(ctx, day, reg, o.Seed, node.Writer())
	if err != nil {
		return fail(err)
	}
	waitCtx, cancelWait := context.WithTimeout(ctx, time.Minute)
	err = node.Polled(waitCtx)
	if err == nil {
		err = node.CaughtUp(waitCtx)
	}
	cancelWait()
	if err != nil {
		return fail(err)
	}
	ov, err := node.Queries().Overview(ctx, projections.Period{})
	if err != nil {
		return fail(err)
	}
	l := live.Ledger
	fmt.Fprintf(o.Out, "Pushed a simulated Douyin livestream day (%s): %d messages (%d orders created, %d paid, %d with refunds, some pushed twice, some refunds before their payment) in %s.\n",
		o.Day, len(live.Messages), l.OrdersCreated, l.OrdersPaid, l.OrdersRefunded, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(o.Out, "Polled a simulated JD shelf (%d orders paid, %d cancelled after payment) and Kuaishou distributors' live rooms (%d paid, %d closed after payment).\n",
		shops.jdLedger.OrdersPaid, shops.jdLedger.OrdersRefunded, shops.ksLedger.OrdersPaid, shops.ksLedger.OrdersRefunded)
	fmt.Fprintf(o.Out, "Imported an 832-platform export (%d orders, %s yuan) and the enterprises' income ledgers (%d payments to households, %s yuan).\n",
		fileOrders, fileGMV, incomeRecords, income)
	byPlatform := map[string]projections.PlatformFigs{}
	for _, p := range ov.ByPlatform {
		byPlatform[p.Platform] = p
	}
	fmt.Fprintf(o.Out, "\n  %-9s %16s %16s   %s\n", "channel", "GMV (yuan)", "net (yuan)", "the platform's own ledger says")
	for _, c := range []struct {
		platform string
		gmv, net domain.Fen
	}{
		{"douyin", l.GMVFen, l.NetFen},
		{"jd", shops.jdLedger.GMVFen, shops.jdLedger.NetFen},
		{"kuaishou", shops.ksLedger.GMVFen, shops.ksLedger.NetFen},
		{domain.Platform832, fileGMV, fileGMV},
	} {
		p := byPlatform[c.platform]
		fmt.Fprintf(o.Out, "  %-9s %16s %16s   GMV %s, net %s\n", c.platform, p.GMVFen, p.NetFen, c.gmv, c.net)
	}
	fmt.Fprintf(o.Out, "\nLoquat's overview: GMV %s, refunds %s, net %s yuan; %d orders; %d households reached; %s yuan unattributed (an unlisted SKU).\n",
		ov.GMVFen, ov.RefundsFen, ov.NetFen, ov.Orders, ov.HouseholdsReached, ov.UnattributedFen)
	base := node.URL()
	fmt.Fprintf(o.Out, `
Loquat is serving at %[1]s (data in %[2]s). Try:
  Console:      %[1]s/  (sign in with an account below)
  API:          %[1]s/api/v1/overview
  Households:   %[1]s/api/v1/households?sort=-income_gain_fen&limit=10
  Below line:   %[1]s/api/v1/households?below_line=true
  Enterprise:   %[1]s/api/v1/enterprises/E-QINGXI
  Village:      %[1]s/api/v1/villages/V-0102
  Livestream:   %[1]s/api/v1/livestreams/douyin:6823941120781224715
  Unattributed: %[1]s/api/v1/unattributed
  Metrics:      %[1]s/metrics
`, base, o.DataDir)
	printAccounts(o.Out, accounts, base)
	fmt.Fprintln(o.Out, "Ctrl-C stops the demo.")
	return <-done
}
