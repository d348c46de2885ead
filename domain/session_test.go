package domain_test

import (
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

func TestSessions(t *testing.T) {
	at := func(day, hhmm string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, domain.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	m := func(day, hhmm string, orders int64, sales, refunds domain.Fen) domain.SessionMinute {
		return domain.SessionMinute{At: at(day, hhmm), Orders: orders, SalesFen: sales, RefundsFen: refunds}
	}
	type want struct {
		start, end      string // "day hh:mm"
		minutes, orders int64
		sales, refunds  domain.Fen
		peak            string
	}
	tests := []struct {
		name    string
		minutes []domain.SessionMinute
		gap     time.Duration
		want    []want
	}{
		{"nothing", nil, 0, nil},
		{"refunds only", []domain.SessionMinute{m("2021-01-01", "10:00", 0, 0, 500)}, 0, nil},
		{"one show", []domain.SessionMinute{
			m("2021-01-01", "20:00", 2, 1000, 0), m("2021-01-01", "20:01", 5, 3000, 0), m("2021-01-01", "21:30", 1, 100, 0),
		}, 0, []want{{"2021-01-01 20:00", "2021-01-01 21:30", 91, 8, 4100, 0, "2021-01-01 20:01"}}},
		{"exactly the gap apart is one session", []domain.SessionMinute{
			m("2021-01-01", "20:00", 1, 100, 0), m("2021-01-01", "22:00", 1, 100, 0),
		}, 0, []want{{"2021-01-01 20:00", "2021-01-01 22:00", 121, 2, 200, 0, "2021-01-01 20:00"}}},
		{"a minute past the gap splits", []domain.SessionMinute{
			m("2021-01-01", "20:00", 1, 100, 0), m("2021-01-01", "22:01", 1, 100, 0),
		}, 0, []want{
			{"2021-01-01 20:00", "2021-01-01 20:00", 1, 1, 100, 0, "2021-01-01 20:00"},
			{"2021-01-01 22:01", "2021-01-01 22:01", 1, 1, 100, 0, "2021-01-01 22:01"},
		}},
		{"two shows a week apart, refunds after each", []domain.SessionMinute{
			m("2021-01-01", "20:00", 3, 900, 0), m("2021-01-01", "20:05", 3, 600, 0), m("2021-01-02", "09:00", 0, 0, 300),
			m("2021-01-08", "20:00", 1, 200, 0), m("2021-01-09", "10:00", 0, 0, 200),
		}, 0, []want{
			{"2021-01-01 20:00", "2021-01-01 20:05", 6, 6, 1500, 300, "2021-01-01 20:00"},
			{"2021-01-08 20:00", "2021-01-08 20:00", 1, 1, 200, 200, "2021-01-08 20:00"},
		}},
		{"a shorter gap", []domain.SessionMinute{
			m("2021-01-01", "20:00", 1, 100, 0), m("2021-01-01", "20:11", 2, 100, 0), m("2021-01-01", "20:20", 1, 100, 0),
		}, 10 * time.Minute, []want{
			{"2021-01-01 20:00", "2021-01-01 20:00", 1, 1, 100, 0, "2021-01-01 20:00"},
			{"2021-01-01 20:11", "2021-01-01 20:20", 10, 3, 200, 0, "2021-01-01 20:11"},
		}},
		{"a refund before any order counts in the first", []domain.SessionMinute{
			m("2021-01-01", "19:00", 0, 0, 50), m("2021-01-01", "20:00", 1, 100, 0),
		}, 0, []want{{"2021-01-01 20:00", "2021-01-01 20:00", 1, 1, 100, 50, "2021-01-01 20:00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.Sessions(tt.minutes, tt.gap)
			if len(got) != len(tt.want) {
				t.Fatalf("%d sessions %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				f := func(v time.Time) string { return v.In(domain.ChinaTime).Format("2006-01-02 15:04") }
				if f(g.Start) != w.start || f(g.End) != w.end || g.Minutes != w.minutes || g.Orders != w.orders ||
					g.SalesFen != w.sales || g.RefundsFen != w.refunds || f(g.Peak.At) != w.peak {
					t.Errorf("session %d: %s..%s %d min, %d orders, %d/%d fen, peak %s; want %+v",
						i, f(g.Start), f(g.End), g.Minutes, g.Orders, g.SalesFen, g.RefundsFen, f(g.Peak.At), w)
				}
			}
		})
	}
}
