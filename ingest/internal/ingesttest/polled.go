package ingesttest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Polled is a polled platform (JD, Kuaishou) as the checks every such
// poller must pass drive it: its simulator, served over real HTTP, and its
// poller. Each platform's tests fill one in and call the Want checks.
type Polled struct {
	// Name names the platform in failure messages, such as "JD".
	Name string
	// Platform is the events' platform, for Tally.
	Platform string
	// NewSim returns a new, empty simulator whose clock is clock; with
	// lookback it refuses windows further back than MaxLookback, as the
	// platform does.
	NewSim func(t testing.TB, clock func() time.Time, lookback bool) Sim
	// NewPoller builds a poller on r's sink, cursors and logs with the
	// tests' configuration (sample credentials, quick retries, r's clock)
	// starting at start, after tune has set what it sets.
	NewPoller func(t testing.TB, r *Rig[Sim], start time.Time, tune func(Tuning)) StatusPoller
	// MaxLookback is how far back the platform searches.
	MaxLookback time.Duration
	// StartPrecision is how the poller rounds its Start: JD's windows are
	// whole seconds (0: not rounded).
	StartPrecision time.Duration
	// SamplePage is the platform's recorded sample page (a sampledata file),
	// polled from SampleStart; its events' golden file is
	// testdata/golden/<SamplePage less .json>.events.json.
	SamplePage  string
	SampleStart time.Time
}

// Tuning points into a poller's configuration, at the settings the checks
// vary.
type Tuning struct {
	Now                       *func() time.Time
	Overlap, Interval, Window *time.Duration
}

// StatusPoller is a poller that says how far it has got.
type StatusPoller interface {
	Poller
	Status() polling.Status
}

// Sim is a platform's simulator.
type Sim interface {
	http.Handler
	// Requests counts the requests it answered.
	Requests() int
	// AddRecordedPage serves a recorded answer's orders, as recorded.
	AddRecordedPage(recorded []byte) error
	// Generate generates orders from from over span, made by seed; the
	// book's Add adds them to the simulator.
	Generate(from time.Time, span time.Duration, orders int, seed uint64) (Book, error)
}

// Book is a generated order book: what the simulator serves and what its
// ledger says the events must add up to.
type Book struct {
	Orders  []Order
	Ledger  Figures
	Settled time.Time // when the last change of any order happened
	// Add adds the orders to the simulator that generated them.
	Add func() error
}

// Order is a generated order's id (as the events name it) and versions.
type Order struct {
	ID       string
	Versions []Version
}

// Version is one version of an order: when it was modified (updated), and
// when the platform shows it (zero: at once).
type Version struct {
	Modified, Visible time.Time
}

// current is the version the platform shows at now.
func current(vs []Version, now time.Time) *Version {
	var v *Version
	for i := range vs {
		visible := vs[i].Visible
		if visible.IsZero() {
			visible = vs[i].Modified
		}
		if !visible.After(now) {
			v = &vs[i]
		}
	}
	return v
}

// newClockedRig is a rig over a new simulator that shares the rig's clock.
func (p Polled) newClockedRig(t *testing.T, lookback bool) *Rig[Sim] {
	t.Helper()
	clk := &Clock{}
	return NewRig(t, p.NewSim(t, clk.Now, lookback), clk, nil)
}

// WantPlatformClockBehind: with the platform's clock behind ours by skew
// (within what it accepts), a window ending at our now less the safety
// lag ends in the platform's future; orders modified there after it was
// read fell behind the cursor, the overlap being shorter than the skew.
// The poller reads the platform's clock from its answers' Date, ends
// windows and the cursor no later than it allows, and finds every order.
func (p Polled) WantPlatformClockBehind(t *testing.T, skew time.Duration) {
	r := p.newClockedRig(t, false)
	platformNow := China("2020-06-01 12:00:00")
	r.Clock.Set(platformNow)
	book, err := r.Sim.Generate(platformNow.Add(-30*time.Minute), 40*time.Minute, 300, 7)
	MustNoErr(t, err)
	MustNoErr(t, book.Add())
	poller := p.NewPoller(t, r, platformNow.Add(-time.Hour), func(c Tuning) {
		*c.Now = func() time.Time { return r.Clock.Now().Add(skew) } // ours, ahead
		*c.Overlap = time.Second
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	MustNoErr(t, poller.RunOnce(ctx))
	r.Clock.Set(platformNow.Add(10 * time.Minute))
	MustNoErr(t, poller.RunOnce(ctx))

	seen := map[string]bool{}
	for _, e := range r.Sink.Events() {
		if c, ok := e.(*domain.OrderCreated); ok {
			seen[c.OrderID] = true
		}
	}
	// Every order whose current version the platform shows by then lies
	// well inside the last window (ours less the lag less the skew is the
	// platform's +9m).
	var missed, want int
	for _, o := range book.Orders {
		v := current(o.Versions, r.Clock.Now())
		if v == nil || v.Modified.After(platformNow.Add(8*time.Minute)) {
			continue
		}
		want++
		if !seen[o.ID] {
			missed++
		}
	}
	if missed > 0 || want == 0 {
		t.Errorf("%d of %d orders modified by %s's +8m missed", missed, want, p.Name)
	}
	if got := poller.Status().PlatformBehind; got < skew-time.Minute || got > skew {
		t.Errorf("status: %s's clock %s behind; want about %s", p.Name, got, skew)
	}
}

// WantCaughtUpPollerRests: once caught up, Run waits Interval before it
// calls again. Counted at the simulated platform's HTTP side, over the
// real clock; the platform answers after 5ms, as one across a network
// does (an answer within the same millisecond would leave a millisecond
// window's end unmoved and hide a poller that polls on as long as its
// target moved at all, calling and saving its cursor hundreds of times a
// second).
func (p Polled) WantCaughtUpPollerRests(t *testing.T) {
	now := time.Now()
	sim := p.NewSim(t, time.Now, false)
	book, err := sim.Generate(now.Add(-3*time.Hour), 2*time.Hour, 40, 3)
	MustNoErr(t, err)
	MustNoErr(t, book.Add())
	r := NewRig(t, sim, nil, Latency(5*time.Millisecond))
	poller := p.NewPoller(t, r, now.Add(-4*time.Hour), func(c Tuning) {
		*c.Now, *c.Interval = time.Now, 0 // the real clock, the default Interval (30s)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	MustNoErr(t, poller.RunOnce(ctx))
	calls, saves := sim.Requests(), r.Cursors.Saves()

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- poller.Run(runCtx) }()
	time.Sleep(5 * time.Second)
	stop()
	MustNoErr(t, <-done)
	// One poll may fall in the 5s however Run is timed against the
	// catch-up; a poller that does not rest makes hundreds.
	if got := sim.Requests() - calls; got > 2 {
		t.Errorf("a caught-up poller called the platform %d times in 5s (and saved its cursor %d times); want at most 2: it must rest its Interval", got, r.Cursors.Saves()-saves)
	}
	if st := poller.Status(); st.CaughtUpAt.IsZero() || int(st.Calls) != sim.Requests() || st.Errors != 0 {
		t.Errorf("status %+v: want caught up, %d calls (the platform's count), no errors", st, sim.Requests())
	}
}

// Latency delays every answer by d.
func Latency(d time.Duration) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(d)
			h.ServeHTTP(w, r)
		})
	}
}

// WantStartBeyondLookback: a Start further back than the platform searches
// does not stop the poller (the platform would refuse the window, which no
// retry cures): it polls from the earliest the platform allows, in windows
// of window, logs why and what to do, and its Status shows the gap. It
// returns the rig for the platform's own checks.
func (p Polled) WantStartBeyondLookback(t *testing.T, window time.Duration) *Rig[Sim] {
	r := p.newClockedRig(t, true)
	recent, err := r.Sim.Generate(China("2020-09-01 12:00:00"), 24*time.Hour, 30, 4)
	MustNoErr(t, err)
	now := recent.Settled.Add(10 * time.Minute)
	r.Clock.Set(now)
	MustNoErr(t, recent.Add())
	start := now.AddDate(0, 0, -120)
	poller := p.NewPoller(t, r, start, func(c Tuning) { *c.Window = window })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := poller.RunOnce(ctx); err != nil {
		t.Fatalf("RunOnce with a start 120 days back: %v; want it to poll from the earliest %s allows", err, p.Name)
	}
	if got, want := Tally(p.Platform, r.Sink.Events()), recent.Ledger; got.Totals != want.Totals {
		t.Errorf("events add up to %+v, the platform's ledger to %+v", got.Totals, want.Totals)
	}
	floor := now.Add(-p.MaxLookback)
	st := poller.Status()
	wantFrom := start
	if p.StartPrecision > 0 {
		wantFrom = start.Truncate(p.StartPrecision)
	}
	if !st.GapFrom.Equal(wantFrom) || st.GapTo.Before(floor) || st.GapTo.After(floor.Add(2*time.Hour)) {
		t.Errorf("status gap %s – %s; want from the start %s to just after %s", st.GapFrom, st.GapTo, start, floor)
	}
	if st.CoveredTo.Before(now.Add(-2*time.Minute)) || st.CaughtUpAt.IsZero() {
		t.Errorf("status %+v: want covered to about now and caught up", st)
	}
	logged := r.Logs.Find("starts at the earliest time the platform searches; import older orders from the platform's export (loquat import)")
	if len(logged) == 0 || logged[0]["level"] != "WARN" || logged[0]["polling_from"] == "" {
		t.Errorf("logged %v; want a warning naming where polling starts and loquat import for older orders", logged)
	}
	return r
}

// SampleRun polls the recorded sample page (served by the simulator with
// its recorded bytes) from SampleStart, with the clock at 2020-05-01 10:00
// and windows of a day, through the real poller over HTTP.
func (p Polled) SampleRun(t *testing.T) *Rig[Sim] {
	t.Helper()
	sim := p.NewSim(t, nil, false)
	MustNoErr(t, sim.AddRecordedPage(ReadTestdata(t, p.SamplePage)))
	r := NewRig(t, sim, nil, nil)
	r.Clock.Set(China("2020-05-01 10:00:00"))
	poller := p.NewPoller(t, r, p.SampleStart, func(c Tuning) { *c.Window = 24 * time.Hour })
	MustNoErr(t, poller.RunOnce(context.Background()))
	return r
}

// WantGoldenSample compares the events of the sample page with its golden
// file, and wants no dead letters; update rewrites the golden file first.
func (p Polled) WantGoldenSample(t *testing.T, update bool) {
	r := p.SampleRun(t)
	WantNoDeadLetters(t, r.Sink)
	GoldenEvents(t, strings.TrimSuffix(p.SamplePage, ".json")+".events.json", r.Sink.Events(), update)
}
