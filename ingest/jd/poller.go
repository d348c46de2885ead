package jd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// ErrRunning is returned by Run and RunOnce while another Run or RunOnce of
// the same Poller is under way.
var ErrRunning = errors.New("jd: the poller is already running")

// maxBadPagesInRow ends a pass over a window after that many undecodable
// pages in a row: the platform is answering garbage, and every one of them
// was kept as a dead letter.
const maxBadPagesInRow = 3

// maxPages bounds the pages of one pass, against an answer whose orderTotal
// never stops growing.
const maxPages = 100_000

// Poller polls jingdong.pop.order.search window by window of `modified`
// time. Run and RunOnce may be called one at a time; the Poller is
// otherwise safe for concurrent use.
type Poller struct {
	cfg    Config
	store  polling.Store
	logger *slog.Logger
	client *client
	loop   *polling.Loop[time.Time] // one Run or RunOnce at a time
	// orders maps and appends a page's orders; its state memory is used by
	// the loop's steps only, which never overlap.
	orders   polling.Orders[string]
	progress *polling.Progress
	lookback polling.Lookback
}

// Status is how far a poller has got and how its calls went.
type Status = polling.Status

// Status returns how far the poller has got: the end of the last window
// read, its calls and errors, the last error, and a stretch skipped as
// beyond JD's look-back. It is safe to call at any time.
func (p *Poller) Status() Status { return p.progress.Status() }

var _ ingest.Poller = (*Poller)(nil)

// New sets cfg's defaults, validates it and builds a poller. It does not
// touch the network or the cursor store. A nil logger discards logs.
func New(cfg Config, sink ingest.Sink, cursors ingest.CursorStore, logger *slog.Logger) (*Poller, error) {
	cfg.setDefaults()
	base, err := polling.NewBase(polling.BaseConfig[string]{Platform: Platform, Name: cfg.Name, Sink: sink, Cursors: cursors,
		Now: cfg.Now, Logger: logger, StateKey: "state", Decode: decodeOrder, StateMemory: cfg.StateMemory,
		Rank: func(state string) int { return int(stateRanks[state]) }, MaxLookback: cfg.MaxLookback}, cfg.Validate())
	if err != nil {
		return nil, err
	}
	logger = base.Logger
	p := &Poller{cfg: cfg, store: base.Store, logger: logger, client: newClient(cfg, logger, base.Progress),
		orders: base.Orders, progress: base.Progress, lookback: base.Lookback}
	p.loop = &polling.Loop[time.Time]{Name: Platform, Interval: cfg.Interval, Logger: logger, Progress: base.Progress, Now: cfg.Now,
		Target: p.target, Step: p.step, Busy: ErrRunning}
	return p, nil
}

// Run polls until ctx ends, then returns nil. Failures that retrying may
// cure (network, rate limits, the sink) are logged and the window is polled
// again after Interval; it returns an error only for what retrying cannot
// fix: a rejected signature, app key, token or parameter, or a cursor it
// cannot read.
func (p *Poller) Run(ctx context.Context) error { return p.loop.Run(ctx) }

// RunOnce polls window after window until the cursor reaches the clock less
// SafetyLag, as it stood when RunOnce began, and returns. Any failure ends
// it with an error (ctx's among them); the cursor then stays after the last
// window completed.
func (p *Poller) RunOnce(ctx context.Context) error { return p.loop.RunOnce(ctx) }

// target is where polling catches up to: now less the safety lag, and
// less how far JD's clock was last seen behind ours, so that no window
// ends in JD's future.
func (p *Poller) target() time.Time {
	return p.cfg.Now().Add(-p.cfg.SafetyLag - p.progress.Clock.Behind()).Truncate(time.Second)
}

// step polls the next window due before target, if any, and reports
// whether polling reached target: a window ending there was read, or none
// was due.
//
// The target is also held to what JD's clock is now known to allow (a
// RunOnce fixes its target before the first answer tells it), and the
// cursor saved never passes it: the first window read before JD's clock was
// known may end in JD's future, and the next window then reads that part
// again.
func (p *Poller) step(ctx context.Context, target time.Time) (caughtUp bool, err error) {
	if t := p.target(); t.Before(target) {
		target = t
	}
	w, due, err := p.next(ctx, target)
	if err != nil {
		return false, err
	}
	if !due {
		return true, nil
	}
	covered, err := p.pollWindow(ctx, w)
	if err != nil {
		return false, err
	}
	return !covered.Before(target), nil
}

// next reads the cursor (the end of the last window completed) and returns
// the window after it: from Overlap before that end (from Start on the
// first run) to Window after it, at most to target. A window that would
// begin before JD searches back begins at the earliest it does.
func (p *Poller) next(ctx context.Context, target time.Time) (w window, due bool, err error) {
	saved, ok, err := p.store.LoadCursor(ctx)
	if err != nil {
		return window{}, false, err
	}
	covered := p.cfg.Start.Truncate(time.Second)
	from := covered
	if ok {
		if covered, err = time.Parse(time.RFC3339, saved); err != nil {
			return window{}, false, errPermanent{Err: fmt.Errorf("cursor %q holds %q, not an RFC 3339 time: %w", p.cfg.Name, saved, err)}
		}
		from = covered.Add(-p.cfg.Overlap)
	}
	p.progress.Covered(covered)
	if floor, clamped := p.lookback.Clamp(ctx, from, p.cfg.Now()); clamped {
		from = floor.Truncate(time.Second)
		if covered.Before(from) {
			covered = from
		}
	}
	to := covered.Add(p.cfg.Window)
	if to.After(target) {
		to = target
	}
	if !to.After(covered) {
		return window{}, false, nil
	}
	return window{from: from, to: to}, true, nil
}

// pollWindow reads a window's pages, appending each page's events, until a
// pass finds the window stable, then saves the window's end as the cursor
// (no later than JD's clock now allows) and returns what it saved.
func (p *Poller) pollWindow(ctx context.Context, w window) (time.Time, error) {
	for pass := 1; ; pass++ {
		res, err := p.passWindow(ctx, w)
		if err != nil {
			return time.Time{}, err
		}
		if !res.moved || pass >= p.cfg.MaxWindowPasses {
			if res.moved {
				p.logger.LogAttrs(ctx, slog.LevelError, "jd window kept moving while read; accepted as read, an order may have been missed",
					slog.String("window", w.String()), slog.Int("passes", pass), slog.String("why", res.why))
			}
			p.logger.LogAttrs(ctx, slog.LevelDebug, "jd window polled",
				slog.String("window", w.String()), slog.Int("order_total", res.total), slog.Int("pages", res.pages), slog.Int("passes", pass))
			covered := w.to
			if limit := p.target(); limit.Before(covered) {
				covered = limit // JD's clock turned out behind ours: read the rest again
			}
			if err := p.store.SaveCursor(ctx, covered.In(domain.ChinaTime).Format(time.RFC3339)); err != nil {
				return time.Time{}, err
			}
			p.progress.Covered(covered)
			return covered, nil
		}
		p.logger.LogAttrs(ctx, slog.LevelInfo, "jd window moved while read; reading it again",
			slog.String("window", w.String()), slog.Int("pass", pass), slog.String("why", res.why))
	}
}

// passResult is what one pass over a window found.
type passResult struct {
	total, pages int
	// moved: the window's orders changed while it was read (orderTotal
	// changed between pages, or an order came twice, so another may have
	// slid past a page boundary unread).
	moved bool
	why   string
}

// passWindow reads every page of a window once.
func (p *Poller) passWindow(ctx context.Context, w window) (passResult, error) {
	var res passResult
	firstTotal := -1
	seen := map[string]bool{}
	badInRow := 0
	undecodable := false
	for n := 1; n <= maxPages; n++ {
		if firstTotal >= 0 && (n-1)*p.cfg.PageSize >= res.total {
			break
		}
		pg, err := p.client.fetch(ctx, w, n)
		var bad *errBadPage
		if errors.As(err, &bad) && ctx.Err() == nil {
			reason := fmt.Sprintf("jd order search window %s page %d: %s", w, n, bad.Err)
			if err := p.store.DeadLetter(ctx, reason, bad.Raw); err != nil {
				return res, err
			}
			p.logger.LogAttrs(ctx, slog.LevelError, "jd page undecodable, kept as a dead letter",
				slog.String("window", w.String()), slog.Int("page", n), slog.String("err", bad.Err.Error()))
			undecodable = true
			if badInRow++; badInRow >= maxBadPagesInRow {
				break
			}
			continue
		}
		if err != nil {
			return res, err
		}
		badInRow = 0
		res.pages++
		if firstTotal < 0 {
			firstTotal = pg.total
		} else if pg.total != firstTotal && !res.moved {
			res.moved, res.why = true, fmt.Sprintf("orderTotal went from %d to %d", firstTotal, pg.total)
		}
		res.total = pg.total
		if len(pg.orders) == 0 {
			break
		}
		ids, err := p.orders.Ingest(ctx, pg.orders, fmt.Sprintf("window %s page %d", w, n),
			[]slog.Attr{slog.String("window", w.String()), slog.Int("page", n)},
			func(i int) string { return fmt.Sprintf("(page %d, position %d)", n, i+1) })
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			if seen[id] && !res.moved {
				res.moved, res.why = true, "order "+id+" came twice"
			}
			seen[id] = true
		}
	}
	if !undecodable && !res.moved && len(seen) != res.total {
		res.moved, res.why = true, fmt.Sprintf("read %d orders of an orderTotal of %d", len(seen), res.total)
	}
	return res, nil
}
