package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	storesqlite "github.com/loquat-dev/loquat/projections/sqlite"
)

// AsOfOptions configures AsOf.
type AsOfOptions struct {
	// Log is the event log the read models are replayed from. Required.
	Log eventlog.Backend
	// Open returns an empty store for the day's read model and a func that
	// drops it. Default: a SQLite file per day in Dir.
	Open func(ctx context.Context, day string) (projections.Store, func() error, error)
	// Dir holds the default Open's files; it is emptied on start. Required
	// unless Open is set.
	Dir string
	// Keep is how many days' read models are kept (least recently used
	// dropped first). Default 4.
	Keep int
	// Now gives today, which as_of must be before. Default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (o *AsOfOptions) setDefaults() error {
	if o.Log == nil {
		return errors.New("as-of answers need the event log")
	}
	if o.Keep <= 0 {
		o.Keep = 4
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Open == nil {
		if o.Dir == "" {
			return errors.New("as-of answers need a directory for their read models")
		}
		if err := os.RemoveAll(o.Dir); err != nil {
			return err
		}
		if err := os.MkdirAll(o.Dir, 0o755); err != nil {
			return err
		}
		dir := o.Dir
		o.Open = func(ctx context.Context, day string) (projections.Store, func() error, error) {
			path := filepath.Join(dir, "readmodel-"+day+".db")
			s, err := storesqlite.Open(ctx, storesqlite.Config{Path: path})
			if err != nil {
				return nil, nil, err
			}
			return s, func() error { return errors.Join(s.Close(), removeSQLiteFile(path)) }, nil
		}
	}
	return nil
}

// AsOf answers the API's as_of: the read model of the log as it stood at
// the end of a past China-time day — every message the log recorded
// (eventlog.MetaRecordedAt) before the next day began, replayed into an
// empty store exactly as `loquat rebuild` replays the whole log. A day's
// read model is built on its first request and kept (the Keep most
// recently used), so a report asked again answers at once; it never
// changes, since the log only grows after the day. Messages appended
// before Loquat stamped them (December 2026) count as recorded before any
// day.
type AsOf struct {
	opts AsOfOptions
	ctx  context.Context // builds outlive the request that started them
	stop context.CancelFunc

	mu   sync.Mutex
	days map[string]*asOfDay
	used []string // least recently used first
}

type asOfDay struct {
	ready chan struct{} // closed when built (or failed)
	store projections.Store
	drop  func() error
	err   error
	refs  int
}

// NewAsOf validates opts.
func NewAsOf(opts AsOfOptions) (*AsOf, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	return &AsOf{opts: opts, ctx: ctx, stop: stop, days: map[string]*asOfDay{}}, nil
}

// Reader returns the read model as of the end of day (YYYY-MM-DD, China
// time), building it if needed, and a func to call when the request is
// done with it. A malformed day, today or a later one is a bad request.
func (a *AsOf) Reader(ctx context.Context, day string) (projections.Reader, func(), error) {
	start, err := time.ParseInLocation(time.DateOnly, day, domain.ChinaTime)
	if err != nil || start.Format(time.DateOnly) != day {
		return nil, nil, fmt.Errorf("%w: as_of %q is not a date (YYYY-MM-DD)", projections.ErrBadRequest, day)
	}
	if today := domain.Day(a.opts.Now()); day >= today {
		return nil, nil, fmt.Errorf("%w: as_of %s is not a past day (today is %s in China time): leave as_of out for the current figures", projections.ErrBadRequest, day, today)
	}
	end := start.AddDate(0, 0, 1)

	a.mu.Lock()
	d := a.days[day]
	if d == nil {
		d = &asOfDay{ready: make(chan struct{})}
		a.days[day] = d
		go a.build(day, end, d)
	}
	d.refs++
	a.touch(day)
	a.mu.Unlock()
	release := func() {
		a.mu.Lock()
		d.refs--
		a.evict()
		a.mu.Unlock()
	}

	select {
	case <-d.ready:
	case <-ctx.Done():
		release()
		return nil, nil, ctx.Err()
	}
	if d.err != nil {
		release()
		return nil, nil, d.err
	}
	return d.store, release, nil
}

func (a *AsOf) build(day string, end time.Time, d *asOfDay) {
	defer close(d.ready)
	started := time.Now()
	store, drop, err := a.opts.Open(a.ctx, day)
	if err != nil {
		d.err = fmt.Errorf("as_of %s: open a read model: %w", day, err)
		a.forget(day, d)
		return
	}
	recordedBefore := func(msg *message.Message) bool {
		at, ok := eventlog.RecordedAt(msg)
		return !ok || at.Before(end)
	}
	stats, err := replayRecorded(a.ctx, a.opts.Log, store, recordedBefore, nil, a.opts.Logger)
	if err != nil {
		d.err = fmt.Errorf("as_of %s: replay the log: %w", day, errors.Join(err, drop()))
		a.forget(day, d)
		return
	}
	a.mu.Lock() // evict reads it
	d.store, d.drop = store, drop
	a.mu.Unlock()
	a.opts.Logger.Info("built an as-of read model", "as_of", day, "events", stats.Events, "took", time.Since(started).Round(time.Millisecond))
}

// forget removes a failed day, so the next request tries again.
func (a *AsOf) forget(day string, d *asOfDay) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.days[day] == d {
		delete(a.days, day)
		a.used = slices.DeleteFunc(a.used, func(u string) bool { return u == day })
	}
}

// touch marks day the most recently used; a.mu is held.
func (a *AsOf) touch(day string) {
	a.used = slices.DeleteFunc(a.used, func(u string) bool { return u == day })
	a.used = append(a.used, day)
}

// evict drops the least recently used built days beyond Keep that no
// request is reading; a.mu is held.
func (a *AsOf) evict() {
	for i := 0; len(a.days) > a.opts.Keep && i < len(a.used); {
		day := a.used[i]
		d := a.days[day]
		built := d != nil && d.store != nil
		if !built || d.refs > 0 {
			i++
			continue
		}
		delete(a.days, day)
		a.used = slices.Delete(a.used, i, i+1)
		if err := d.drop(); err != nil {
			a.opts.Logger.Warn("dropping an as-of read model failed", "as_of", day, "err", err)
		}
	}
}

// Close stops builds under way and drops every day's read model.
func (a *AsOf) Close() error {
	a.stop()
	a.mu.Lock()
	days := a.days
	a.days = map[string]*asOfDay{}
	a.used = nil
	a.mu.Unlock()
	var errs []error
	for _, d := range days {
		<-d.ready
		if d.drop != nil {
			errs = append(errs, d.drop())
		}
	}
	return errors.Join(errs...)
}
