package jd_test

import (
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// Shared with the other adapters' tests (ingest/internal/ingesttest).
var (
	readFile   = ingesttest.ReadTestdata
	mustNoErr  = ingesttest.MustNoErr
	eventsJSON = ingesttest.EventsJSON
	china      = ingesttest.China
)

// The test's event log, cursor store, clock and log (ingest/internal/ingesttest).
type (
	collectingSink = ingesttest.Sink
	memCursors     = ingesttest.Cursors
	clock          = ingesttest.Clock
	logRecords     = ingesttest.LogRecords
)

var errStoreDown = ingesttest.ErrStoreDown

// rig is a simulated JD served over real HTTP, with a sink and a cursor
// store that outlive the pollers built on them.
type rig struct {
	sim     *jdsim.Platform
	srv     *httptest.Server
	sink    *collectingSink
	cursors *memCursors
	logs    *logRecords
	clock   *clock
}

// newRig serves sim, wrapped by wrap when not nil.
func newRig(t *testing.T, sim *jdsim.Platform, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &rig{sim: sim, srv: srv, sink: &collectingSink{}, cursors: &memCursors{}, logs: &logRecords{}, clock: &clock{}}
}

// config is a poller configuration for the rig: sample credentials, the
// rig's clock, quick retries.
func (r *rig) config(start time.Time) jd.Config {
	return jd.Config{
		AppKey:       jdsim.SampleAppKey,
		AppSecret:    jdsim.SampleAppSecret,
		AccessToken:  jdsim.SampleAccessToken,
		APIBaseURL:   r.srv.URL + "/routerjson",
		Start:        start,
		Now:          r.clock.Now,
		RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond,
		Interval: 5 * time.Millisecond,
	}
}

func (r *rig) poller(t *testing.T, cfg jd.Config) *jd.Poller {
	t.Helper()
	p, err := jd.New(cfg, r.sink, r.cursors, slog.New(r.logs))
	mustNoErr(t, err)
	return p
}

// newClockedRig is newRig over a new simulator that shares the rig's clock.
func newClockedRig(t *testing.T, opts jdsim.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	clk := &clock{}
	opts.Clock = clk.Now
	r := newRig(t, newSim(t, opts), wrap)
	r.clock = clk
	return r
}

func newSim(t *testing.T, opts jdsim.Options) *jdsim.Platform {
	t.Helper()
	sim, err := jdsim.New(opts)
	mustNoErr(t, err)
	return sim
}

// eventsJSON renders events for comparison and golden files.

// tally computes the figures the events give the way the projector does:
// events deduplicated by id, each line's payment and refunds kept in a
// domain.LineState, whose entries clip refunds to what the line was paid.
func tally(events []domain.Event) jdsim.Ledger {
	byID := map[string]domain.Event{}
	for _, e := range events {
		byID[e.ID()] = e
	}
	lines := map[domain.LineKey]*domain.LineState{}
	line := func(order, id string) *domain.LineState {
		k := domain.LineKey{Platform: jd.Platform, OrderID: order, LineID: id}
		if lines[k] == nil {
			lines[k] = &domain.LineState{Key: k}
		}
		return lines[k]
	}
	created := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		switch e := byID[id].(type) {
		case *domain.OrderCreated:
			created[e.OrderID] = true
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				line(e.OrderID, l.LineID).ApplyPayment(domain.LinePayment{EventID: e.ID(), CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, PaidLine: l}, nil)
			}
		case *domain.OrderCancelled:
			if e.WasPaid {
				for _, l := range e.Lines {
					line(e.OrderID, l.LineID).ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt})
				}
			}
		}
	}
	out := jdsim.Ledger{ByDay: map[string]jdsim.Totals{}, OrdersCreated: len(created)}
	paid, refunded := map[string]bool{}, map[string]bool{}
	for k, s := range lines {
		for _, en := range s.Entries() {
			d := out.ByDay[domain.Day(en.At)]
			for _, t := range []*jdsim.Totals{&out.Totals, &d} {
				t.NetFen += en.AmountFen
				if en.Kind == domain.EntrySale {
					t.GMVFen += en.AmountFen
				} else {
					t.RefundsFen -= en.AmountFen
				}
			}
			out.ByDay[domain.Day(en.At)] = d
			if en.Kind == domain.EntrySale {
				paid[k.OrderID] = true
			} else {
				refunded[k.OrderID] = true
			}
		}
	}
	out.OrdersPaid, out.OrdersRefunded = len(paid), len(refunded)
	return out
}
