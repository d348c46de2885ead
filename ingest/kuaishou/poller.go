package kuaishou

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// ErrRunning is returned by Run and RunOnce while another Run or RunOnce of
// the same Poller is under way.
var ErrRunning = errors.New("kuaishou: the poller is already running")

// maxPages bounds the pages of one window, against a pcursor that never
// says nomore.
const maxPages = 100_000

// cursorState is what the poller keeps in the CursorStore, as JSON: the end
// of the last window completed and, while a window is being read, that
// window and the pcursor of its next page.
type cursorState struct {
	CoveredTo int64   `json:"covered_to_ms"`
	Window    *window `json:"window,omitempty"`
}

// Poller polls open.order.cursor.list window by window of update time.
// Run and RunOnce may be called one at a time; the Poller is otherwise
// safe for concurrent use.
type Poller struct {
	cfg    Config
	store  polling.Store
	logger *slog.Logger
	client *client
	loop   *polling.Loop[int64] // one Run or RunOnce at a time
	// orders maps and appends a page's orders; its state memory is used by
	// the loop's steps only, which never overlap.
	orders   polling.Orders[int]
	progress *polling.Progress
	lookback polling.Lookback
}

// Status is how far a poller has got and how its calls went.
type Status = polling.Status

// Status returns how far the poller has got: the end of the last window
// read, its calls and errors, the last error, and a stretch skipped as
// beyond the platform's 90-day look-back. It is safe to call at any time.
func (p *Poller) Status() Status { return p.progress.Status() }

var _ ingest.Poller = (*Poller)(nil)

// New sets cfg's defaults, validates it and builds a poller. It does not
// touch the network or the cursor store. A nil logger discards logs.
func New(cfg Config, sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (*Poller, error) {
	cfg.setDefaults()
	base, err := polling.NewBase(polling.BaseConfig[int]{Platform: Platform, Name: cfg.Name, Sink: sink, Cursors: cursors,
		Now: cfg.Now, Logger: logger, StateKey: "status", Decode: decodeOrder, StateMemory: cfg.StateMemory,
		Rank: func(status int) int { return statusRanks[status] }, MaxLookback: MaxLookback}, cfg.Validate())
	if err != nil {
		return nil, err
	}
	logger = base.Logger
	p := &Poller{cfg: cfg, store: base.Store, logger: logger, client: newClient(cfg, logger, base.Progress),
		orders: base.Orders, progress: base.Progress, lookback: base.Lookback}
	p.loop = &polling.Loop[int64]{Name: Platform, Interval: cfg.Interval, Logger: logger, Progress: base.Progress, Now: cfg.Now,
		Target: p.target, Step: p.step, Busy: ErrRunning}
	return p, nil
}

// Run polls until ctx ends, then returns nil. Failures that retrying may
// cure (network, rate limits, the sink) are logged and polling resumes
// after Interval from the last page saved; it returns an error only for
// what retrying cannot fix: a rejected signature, appkey, token or
// parameter, or a cursor it cannot read.
func (p *Poller) Run(ctx context.Context) error { return p.loop.Run(ctx) }

// RunOnce polls until the cursor reaches the clock less SafetyLag, as it
// stood when RunOnce began, and returns. Any failure ends it with an error
// (ctx's among them); the cursor then stays after the last page appended.
func (p *Poller) RunOnce(ctx context.Context) error { return p.loop.RunOnce(ctx) }

// target is where polling catches up to, in Unix ms: now less the safety
// lag, and less how far the platform's clock was last seen behind ours, so
// that no window ends in the platform's future.
func (p *Poller) target() int64 {
	return p.cfg.Now().Add(-p.cfg.SafetyLag - p.progress.Clock.Behind()).UnixMilli()
}

// step reads the cursor and polls the window it is in, or the next one
// due before target, and reports whether polling reached target: a window
// ending there was read to its end, or none was due. A window that would
// begin before the platform searches back (90 days) begins at the
// earliest it does; one saved half-read that has since slid past that
// limit is read again from there.
//
// The target is also held to what the platform's clock is now known to
// allow (a RunOnce fixes its target before the first answer tells it), and
// the covered_to saved never passes it: the first window read before the
// platform's clock was known may end in its future, and the next window
// then reads that part again.
func (p *Poller) step(ctx context.Context, target int64) (caughtUp bool, err error) {
	target = min(target, p.target())
	st, fresh, err := p.load(ctx)
	if err != nil {
		return false, err
	}
	p.progress.Covered(time.UnixMilli(st.CoveredTo))
	now := p.cfg.Now()
	if st.Window != nil && st.Window.Begin < p.lookback.Floor(now).UnixMilli() {
		st.Window = nil // its pcursor belongs to the begin refused now
	}
	if st.Window == nil {
		begin := st.CoveredTo - p.cfg.Overlap.Milliseconds()
		if fresh {
			begin = st.CoveredTo // the first window: nothing before Start is wanted
		}
		if floor, clamped := p.lookback.Clamp(ctx, time.UnixMilli(begin), now); clamped {
			begin = floor.UnixMilli()
			st.CoveredTo = max(st.CoveredTo, begin)
		}
		end := min(st.CoveredTo+p.cfg.Window.Milliseconds(), target)
		if end <= st.CoveredTo {
			return true, nil
		}
		st.Window = &window{Begin: begin, End: end}
	}
	covered, err := p.pollWindow(ctx, st)
	if err != nil {
		return false, err
	}
	return covered >= target, nil
}

// load reads the cursor; with none saved (fresh), polling starts at Start.
func (p *Poller) load(ctx context.Context) (st cursorState, fresh bool, err error) {
	saved, ok, err := p.store.LoadCursor(ctx)
	if err != nil {
		return cursorState{}, false, err
	}
	if !ok {
		return cursorState{CoveredTo: p.cfg.Start.UnixMilli()}, true, nil
	}
	if err := json.Unmarshal([]byte(saved), &st); err != nil || st.CoveredTo <= 0 || (st.Window != nil && st.Window.End < st.Window.Begin) {
		return cursorState{}, false, errPermanent{Err: fmt.Errorf("cursor %q holds %q, not a kuaishou cursor", p.cfg.Name, saved)}
	}
	return st, false, nil
}

func (p *Poller) save(ctx context.Context, st cursorState) error {
	b, _ := json.Marshal(st) // numbers and strings always marshal
	if err := p.store.SaveCursor(ctx, string(b)); err != nil {
		return err
	}
	p.progress.Covered(time.UnixMilli(st.CoveredTo))
	return nil
}

// pollWindow reads st.Window from its pcursor to the end, appending each
// page's events and then saving the pcursor of the next page, so that a
// restart resumes at the page after the last one appended. It returns the
// covered_to saved at the end: the window's end, or what the platform's
// clock now allows if that is earlier.
func (p *Poller) pollWindow(ctx context.Context, st cursorState) (int64, error) {
	w := *st.Window
	for range maxPages {
		pg, err := p.client.fetch(ctx, w)
		var bad *errBadPage
		if errors.As(err, &bad) && ctx.Err() == nil {
			// Without the page there is no pcursor to go on with: keep
			// the bytes, skip the rest of the window, say so.
			reason := fmt.Sprintf("kuaishou order list window %s at pcursor %q: %s", w, w.Pcursor, bad.Err)
			if err := p.store.DeadLetter(ctx, reason, bad.Raw); err != nil {
				return 0, err
			}
			p.logger.LogAttrs(ctx, slog.LevelError, "kuaishou page undecodable, kept as a dead letter; the rest of its window is skipped",
				slog.String("window", w.String()), slog.String("pcursor", w.Pcursor), slog.String("err", bad.Err.Error()))
			return p.finish(ctx, w)
		}
		if err != nil {
			return 0, err
		}
		if _, err := p.orders.Ingest(ctx, pg.orders, "window "+w.String(),
			[]slog.Attr{slog.String("window", w.String()), slog.String("pcursor", w.Pcursor)},
			func(i int) string { return "(position " + strconv.Itoa(i+1) + ")" }); err != nil {
			return 0, err
		}
		next := pg.pcursor
		if next == PcursorDone || next == "" || next == w.Pcursor {
			if next == w.Pcursor && next != "" {
				p.logger.LogAttrs(ctx, slog.LevelWarn, "kuaishou pcursor did not move; window taken as read",
					slog.String("window", w.String()), slog.String("pcursor", next))
			}
			p.logger.LogAttrs(ctx, slog.LevelDebug, "kuaishou window polled", slog.String("window", w.String()))
			return p.finish(ctx, w)
		}
		w.Pcursor = next
		if err := p.save(ctx, cursorState{CoveredTo: st.CoveredTo, Window: &w}); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("window %s: still no %q after %d pages", w, PcursorDone, maxPages)
}

// finish saves a window read to its end: covered_to is its end, or what
// the platform's clock now allows if that is earlier (its clock turned out
// behind ours: the next window reads the rest again).
func (p *Poller) finish(ctx context.Context, w window) (int64, error) {
	covered := min(w.End, p.target())
	if err := p.save(ctx, cursorState{CoveredTo: covered}); err != nil {
		return 0, err
	}
	return covered, nil
}
