package domain

import "time"

// DefaultSessionGap is the quiet time that ends a livestream session: two
// ordered minutes further apart than this are in separate sessions.
const DefaultSessionGap = 2 * time.Hour

// SessionMinute is a livestream's figures in one minute (its start).
type SessionMinute struct {
	At         time.Time
	Orders     int64
	SalesFen   Fen
	RefundsFen Fen
}

// Session is one show of a live room: a run of ordered minutes with no gap
// between two of them longer than the session gap.
type Session struct {
	// Start and End are its first and last ordered minutes.
	Start, End time.Time
	// Minutes is the span from Start to End, both included.
	Minutes    int64
	Orders     int64
	SalesFen   Fen
	RefundsFen Fen
	// Peak is its minute with the most orders (the earliest of equals).
	Peak SessionMinute
}

// Sessions splits a livestream's minutes (in time order) into sessions.
// The rule: the minutes with orders make the sessions, split wherever two
// consecutive ordered minutes are more than gap apart (gap <= 0: the
// default). A minute without orders (refunds only, which come after the
// show) counts in the latest session begun at or before it, and one before
// every session in the first. No ordered minute: no sessions.
func Sessions(minutes []SessionMinute, gap time.Duration) []Session {
	if gap <= 0 {
		gap = DefaultSessionGap
	}
	var out []Session
	for _, m := range minutes {
		if m.Orders <= 0 {
			continue
		}
		if n := len(out); n > 0 && m.At.Sub(out[n-1].End) <= gap {
			s := &out[n-1]
			s.End = m.At
			if m.Orders > s.Peak.Orders {
				s.Peak = m
			}
			continue
		}
		out = append(out, Session{Start: m.At, End: m.At, Peak: m})
	}
	if len(out) == 0 {
		return nil
	}
	i := 0
	for _, m := range minutes {
		for i+1 < len(out) && !m.At.Before(out[i+1].Start) {
			i++
		}
		s := &out[i]
		s.Orders += m.Orders
		s.SalesFen += m.SalesFen
		s.RefundsFen += m.RefundsFen
	}
	for i := range out {
		out[i].Minutes = int64(out[i].End.Sub(out[i].Start)/time.Minute) + 1
	}
	return out
}
