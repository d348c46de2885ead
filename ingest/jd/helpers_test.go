package jd_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
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

// rig is a simulated JD served over real HTTP, with a sink and a cursor
// store that outlive the pollers built on them (ingest/internal/ingesttest).
type rig struct {
	*ingesttest.Rig[*jdsim.Platform]
}

// newRig serves sim, wrapped by wrap when not nil.
func newRig(t *testing.T, sim *jdsim.Platform, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	return &rig{ingesttest.NewRig(t, sim, nil, wrap)}
}

// config is a poller configuration for the rig: sample credentials, the
// rig's clock, quick retries.
func (r *rig) config(start time.Time) jd.Config {
	return jd.Config{
		AppKey:       jdsim.SampleAppKey,
		AppSecret:    jdsim.SampleAppSecret,
		AccessToken:  jdsim.SampleAccessToken,
		APIBaseURL:   r.Srv.URL + "/routerjson",
		Start:        start,
		Now:          r.Clock.Now,
		RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond,
		Interval: 5 * time.Millisecond,
	}
}

func (r *rig) poller(t *testing.T, cfg jd.Config) *jd.Poller {
	t.Helper()
	p, err := jd.New(cfg, r.Sink, r.Cursors, slog.New(r.Logs))
	mustNoErr(t, err)
	return p
}

// newClockedRig is newRig over a new simulator that shares the rig's clock.
func newClockedRig(t *testing.T, opts jdsim.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	clk := &clock{}
	opts.Clock = clk.Now
	return &rig{ingesttest.NewRig(t, newSim(t, opts), clk, wrap)}
}

func newSim(t *testing.T, opts jdsim.Options) *jdsim.Platform {
	t.Helper()
	sim, err := jdsim.New(opts)
	mustNoErr(t, err)
	return sim
}

// tally adds the events up the way the projector does (ingesttest.Tally).
func tally(events []domain.Event) ingesttest.Figures { return ingesttest.Tally(jd.Platform, events) }

// figures are what the simulator's ledger says the events must add up to.
func figures(l jdsim.Ledger) ingesttest.Figures {
	return ingesttest.Figures{Totals: l.Totals, OrdersCreated: l.OrdersCreated, OrdersPaid: l.OrdersPaid, OrdersRefunded: l.OrdersRefunded, ByDay: l.ByDay}
}
