package projections

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// LivestreamSession is one show of a live room (see domain.Sessions).
type LivestreamSession struct {
	// Start and End are its first and last ordered minutes, China time.
	Start   string `json:"start"`
	End     string `json:"end"`
	Minutes int64  `json:"minutes"`
	Orders  int64  `json:"orders"`
	Money
	// OrdersPerMinute is Orders ÷ Minutes, to two places.
	OrdersPerMinute float64    `json:"orders_per_minute"`
	PeakMinute      MinuteFigs `json:"peak_minute"`
}

// LivestreamSessions answers GET /api/v1/livestreams/{id}/sessions.
type LivestreamSessions struct {
	ID string `json:"id"`
	// SessionGapMinutes is the quiet time that splits two sessions.
	SessionGapMinutes int64 `json:"session_gap_minutes"`
	Page[LivestreamSession]
}

func (q *Queries) sessionGap() time.Duration {
	if q.SessionGap > 0 {
		return q.SessionGap
	}
	return domain.DefaultSessionGap
}

// sessions splits a livestream's minutes (in order) into sessions.
func (q *Queries) sessions(minutes []MinuteRow) ([]LivestreamSession, error) {
	in := make([]domain.SessionMinute, 0, len(minutes))
	for _, m := range minutes {
		at, err := time.ParseInLocation("2006-01-02T15:04", m.Minute, domain.ChinaTime)
		if err != nil {
			return nil, fmt.Errorf("livestream minute %q: %w", m.Minute, err)
		}
		in = append(in, domain.SessionMinute{At: at, Orders: m.Orders, SalesFen: m.SalesFen, RefundsFen: m.RefundsFen})
	}
	out := []LivestreamSession{}
	for _, s := range domain.Sessions(in, q.sessionGap()) {
		out = append(out, LivestreamSession{
			Start: domain.Minute(s.Start), End: domain.Minute(s.End), Minutes: s.Minutes, Orders: s.Orders,
			Money:           money(s.SalesFen, s.RefundsFen),
			OrdersPerMinute: math.Round(float64(s.Orders)/float64(s.Minutes)*100) / 100,
			PeakMinute: MinuteFigs{Minute: domain.Minute(s.Peak.At), Orders: s.Peak.Orders,
				Money: money(s.Peak.SalesFen, s.Peak.RefundsFen)},
		})
	}
	return out, nil
}

// ScopedLivestreamSessions answers a livestream's sessions to whoever may
// see the livestream (ScopedLivestream). Sessions are the room's, from its
// per-minute figures, so an enterprise that shared the room with others'
// products is refused them, as it is the room's by_minute.
func (q *Queries) ScopedLivestreamSessions(ctx context.Context, s Scope, id string) (LivestreamSessions, error) {
	ls, err := q.ScopedLivestream(ctx, s, id)
	if err != nil {
		return LivestreamSessions{}, err
	}
	if ls.ByMinute == nil && (ls.GMVFen != 0 || ls.RefundsFen != 0) {
		return LivestreamSessions{}, forbidden("the sessions of a livestream that also sold other enterprises' products")
	}
	items := ls.Sessions
	if items == nil {
		items = []LivestreamSession{}
	}
	return LivestreamSessions{ID: ls.ID, SessionGapMinutes: int64(q.sessionGap() / time.Minute),
		Page: Page[LivestreamSession]{Items: items, Total: len(items)}}, nil
}
