package kuaishou_test

import (
	"log/slog"
	"net/http"
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
func (r *rig) config(start time.Time) kuaishou.Config {
	return kuaishou.Config{
		AppKey:       kuaishousim.SampleAppKey,
		SignSecret:   kuaishousim.SampleSignSecret,
		AccessToken:  kuaishousim.SampleAccessToken,
		APIBaseURL:   r.Srv.URL,
		Start:        start,
		Now:          r.Clock.Now,
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

func newSim(t *testing.T, opts kuaishousim.Options) *kuaishousim.Platform {
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
