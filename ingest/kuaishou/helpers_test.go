package kuaishou_test

import (
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// Shared with the other adapters' tests (ingest/internal/ingesttest).
var (
	readFile  = ingesttest.ReadTestdata
	mustNoErr = ingesttest.MustNoErr
	china     = ingesttest.China
)

// The test's event log, cursor store and clock (ingest/internal/ingesttest).
type (
	collectingSink = ingesttest.Sink
	memCursors     = ingesttest.Cursors
	clock          = ingesttest.Clock
)

// rig is a simulated Kuaishou served over real HTTP, with a sink and a
// cursor store that outlive the pollers built on them
// (ingest/internal/ingesttest).
type rig struct {
	*ingesttest.Rig[*kuaishousim.Platform]
}

// newRig serves sim, wrapped by wrap when not nil.
func newRig(t *testing.T, sim *kuaishousim.Platform, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	return &rig{ingesttest.NewRig(t, sim, nil, wrap)}
}

// config is a poller configuration for the rig: sample credentials, the
// rig's clock, quick retries.
func (r *rig) config(start time.Time) kuaishou.Config { return config(r.Srv.URL, r.Clock, start) }

// config is the tests' poller configuration for a simulator at url: sample
// credentials, the clock, quick retries.
func config(url string, clk *clock, start time.Time) kuaishou.Config {
	return kuaishou.Config{
		AppKey:       kuaishousim.SampleAppKey,
		SignSecret:   kuaishousim.SampleSignSecret,
		AccessToken:  kuaishousim.SampleAccessToken,
		APIBaseURL:   url,
		Start:        start,
		Now:          clk.Now,
		RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond,
		Interval: 5 * time.Millisecond,
	}
}

func (r *rig) poller(t *testing.T, cfg kuaishou.Config) *kuaishou.Poller {
	t.Helper()
	p, err := kuaishou.New(cfg, r.Sink, r.Cursors, slog.New(r.Logs))
	mustNoErr(t, err)
	return p
}

// newClockedRig is newRig over a new simulator that shares the rig's clock.
func newClockedRig(t *testing.T, opts kuaishousim.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	clk := &clock{}
	opts.Clock = clk.Now
	return &rig{ingesttest.NewRig(t, newSim(t, opts), clk, wrap)}
}

func newSim(t testing.TB, opts kuaishousim.Options) *kuaishousim.Platform {
	t.Helper()
	sim, err := kuaishousim.New(opts)
	mustNoErr(t, err)
	return sim
}

// tally adds the events up the way the projector does (ingesttest.Tally).
func tally(events []domain.Event) ingesttest.Figures {
	return ingesttest.Tally(kuaishou.Platform, events)
}

// figures are what the simulator's ledger says the events must add up to;
// by distributor is by the livestream room (Livestream.RoomID) of the line.
func figures(l kuaishousim.Ledger) ingesttest.Figures {
	return ingesttest.Figures{Totals: l.Totals, OrdersCreated: l.OrdersCreated, OrdersPaid: l.OrdersPaid, OrdersRefunded: l.OrdersRefunded,
		ByDay: l.ByDay, ByRoom: l.ByDistributor}
}

// ms is a China time as Unix milliseconds.
func ms(s string) int64 { return china(s).UnixMilli() }

// polled is Kuaishou as the checks every polled platform's poller must pass
// drive it (ingesttest.Polled).
var polled = ingesttest.Polled{
	Name: "Kuaishou", Platform: kuaishou.Platform, SamplePage: "kuaishou-order-cursor-list.json", SampleStart: china("2020-04-30 19:00:00"),
	MaxLookback: kuaishou.MaxLookback, StartPrecision: 0,
	NewSim: func(t testing.TB, clock func() time.Time, lookback bool) ingesttest.Sim {
		opts := kuaishousim.Options{Clock: clock}
		// The simulator always refuses windows beyond the platform's 90 days.
		return simView{newSim(t, opts)}
	},
	NewPoller: func(t testing.TB, r *ingesttest.Rig[ingesttest.Sim], start time.Time, tune func(ingesttest.Tuning)) ingesttest.StatusPoller {
		cfg := config(r.Srv.URL, r.Clock, start)
		tune(ingesttest.Tuning{Now: &cfg.Now, Overlap: &cfg.Overlap, Interval: &cfg.Interval, Window: &cfg.Window})
		p, err := kuaishou.New(cfg, r.Sink, r.Cursors, slog.New(r.Logs))
		mustNoErr(t, err)
		return p
	},
}

// simView is kuaishousim as ingesttest.Polled sees it.
type simView struct{ *kuaishousim.Platform }

func (s simView) Generate(from time.Time, span time.Duration, orders int, seed uint64) (ingesttest.Book, error) {
	book, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: from, Span: span, Orders: orders, Seed: seed})
	if err != nil {
		return ingesttest.Book{}, err
	}
	out := ingesttest.Book{Ledger: figures(book.Ledger), Settled: book.Settled, Add: func() error { return s.AddOrders(book.Orders...) }}
	for _, o := range book.Orders {
		var vs []ingesttest.Version
		for _, v := range o.Versions {
			vs = append(vs, ingesttest.Version{Modified: v.Updated, Visible: v.Visible})
		}
		out.Orders = append(out.Orders, ingesttest.Order{ID: strconv.FormatInt(o.Oid, 10), Versions: vs})
	}
	return out, nil
}
