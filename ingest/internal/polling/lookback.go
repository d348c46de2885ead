package polling

import (
	"context"
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// LookbackMargin keeps windows this far inside a platform's look-back: the
// limit moves on with the platform's clock while a window is read, and
// the platform's clock may run a little ahead of ours.
const LookbackMargin = time.Hour

// Lookback is how far back a platform searches, and where a poller says
// what it skipped because of it.
type Lookback struct {
	Platform string // "kuaishou"
	Max      time.Duration
	Logger   *slog.Logger
	Progress *Progress
}

// Floor is the earliest a window may begin at now: Max before it, plus
// LookbackMargin.
func (l Lookback) Floor(now time.Time) time.Time { return now.Add(-l.Max + LookbackMargin) }

// Clamp returns begin, or the Floor at now when begin is before it. A
// clamp is logged and recorded in Progress as a gap from begin to the
// floor: the orders changed then are not polled and are to be imported
// from the platform's export instead. A start that old is a choice or a
// long outage, not a failure: polling goes on from the floor.
func (l Lookback) Clamp(ctx context.Context, begin, now time.Time) (time.Time, bool) {
	floor := l.Floor(now)
	if !begin.Before(floor) {
		return begin, false
	}
	l.Logger.LogAttrs(ctx, slog.LevelWarn, l.Platform+" poller starts at the earliest time the platform searches; import older orders from the platform's export (loquat import)",
		slog.String("wanted_from", begin.In(domain.ChinaTime).Format(time.RFC3339)),
		slog.String("polling_from", floor.In(domain.ChinaTime).Format(time.RFC3339)),
		slog.Duration("platform_lookback", l.Max))
	if l.Progress != nil {
		l.Progress.Skipped(begin, floor)
	}
	return floor, true
}
