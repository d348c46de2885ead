package kuaishou_test

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
	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
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

// rig is a simulated Kuaishou served over real HTTP, with a sink and a cursor
// store that outlive the pollers built on them.
type rig struct {
	sim     *kuaishousim.Platform
	srv     *httptest.Server
	sink    *collectingSink
	cursors *memCursors
	logs    *logRecords
	clock   *clock
}

// newRig serves sim, wrapped by wrap when not nil.
func newRig(t *testing.T, sim *kuaishousim.Platform, wrap func(http.Handler) http.Handler) *rig {
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
func (r *rig) config(start time.Time) kuaishou.Config {
	return kuaishou.Config{
		AppKey:       kuaishousim.SampleAppKey,
		SignSecret:   kuaishousim.SampleSignSecret,
		AccessToken:  kuaishousim.SampleAccessToken,
		APIBaseURL:   r.srv.URL,
		Start:        start,
		Now:          r.clock.Now,
		RetryBackoff: time.Millisecond, MaxRetryBackoff: 4 * time.Millisecond,
		Interval: 5 * time.Millisecond,
	}
}

func (r *rig) poller(t *testing.T, cfg kuaishou.Config) *kuaishou.Poller {
	t.Helper()
	p, err := kuaishou.New(cfg, r.sink, r.cursors, slog.New(r.logs))
	mustNoErr(t, err)
	return p
}

// newClockedRig is newRig over a new simulator that shares the rig's clock.
func newClockedRig(t *testing.T, opts kuaishousim.Options, wrap func(http.Handler) http.Handler) *rig {
	t.Helper()
	clk := &clock{}
	opts.Clock = clk.Now
	r := newRig(t, newSim(t, opts), wrap)
	r.clock = clk
	return r
}

func newSim(t *testing.T, opts kuaishousim.Options) *kuaishousim.Platform {
	t.Helper()
	sim, err := kuaishousim.New(opts)
	mustNoErr(t, err)
	return sim
}

// eventsJSON renders events for comparison and golden files.

// tally computes the figures the events give the way the projector does:
// events deduplicated by id, each line's payment and refunds kept in a
// domain.LineState, whose entries clip refunds to what the line was paid.
// By distributor is the livestream (Livestream.RoomID) of the line.
func tally(events []domain.Event) kuaishousim.Ledger {
	byID := map[string]domain.Event{}
	for _, e := range events {
		byID[e.ID()] = e
	}
	lines := map[domain.LineKey]*domain.LineState{}
	line := func(order, id string) *domain.LineState {
		k := domain.LineKey{Platform: kuaishou.Platform, OrderID: order, LineID: id}
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
				line(e.OrderID, l.LineID).ApplyPayment(domain.LinePayment{EventID: e.ID(), CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, BuyerRef: e.BuyerRef, PaidLine: l}, nil)
			}
		case *domain.OrderCancelled:
			if e.WasPaid {
				for _, l := range e.Lines {
					line(e.OrderID, l.LineID).ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt})
				}
			}
		}
	}
	out := kuaishousim.Ledger{ByDay: map[string]kuaishousim.Totals{}, ByDistributor: map[string]kuaishousim.Totals{}, OrdersCreated: len(created)}
	paid, refunded := map[string]bool{}, map[string]bool{}
	for k, s := range lines {
		room := ""
		if s.Payment != nil && s.Payment.Livestream != nil {
			room = s.Payment.Livestream.RoomID
		}
		for _, en := range s.Entries() {
			d, r := out.ByDay[domain.Day(en.At)], out.ByDistributor[room]
			for _, t := range []*kuaishousim.Totals{&out.Totals, &d, &r} {
				t.NetFen += en.AmountFen
				if en.Kind == domain.EntrySale {
					t.GMVFen += en.AmountFen
				} else {
					t.RefundsFen -= en.AmountFen
				}
			}
			out.ByDay[domain.Day(en.At)] = d
			if room != "" {
				out.ByDistributor[room] = r
			}
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

// ms is a China time as Unix milliseconds.
func ms(s string) int64 { return china(s).UnixMilli() }
