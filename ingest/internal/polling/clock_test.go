package polling

import (
	"net/http"
	"testing"
	"time"
)

func TestPlatformClockObserve(t *testing.T) {
	ours := time.Date(2020, 6, 1, 12, 0, 30, 400_000_000, time.UTC)
	for _, tt := range []struct {
		name string
		date string
		want time.Duration
	}{
		{"same second", "Mon, 01 Jun 2020 12:00:30 GMT", 0},
		{"platform ahead", "Mon, 01 Jun 2020 12:05:00 GMT", 0},
		{"3 minutes behind, less the Date's second", "Mon, 01 Jun 2020 11:57:30 GMT", 3*time.Minute - time.Second + 400*time.Millisecond},
		{"beyond what a platform accepts: not its clock", "Mon, 01 Jun 2020 11:00:00 GMT", 0},
		{"no Date", "", 0},
		{"not a date", "yesterday", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c PlatformClock
			c.behind = time.Hour // what an earlier answer said, replaced by any Date read
			if tt.date == "" || tt.date == "yesterday" {
				c.behind = tt.want
			}
			h := http.Header{}
			if tt.date != "" {
				h.Set("Date", tt.date)
			}
			c.Observe(h, ours)
			if got := c.Behind(); got != tt.want {
				t.Errorf("Behind() = %s, want %s", got, tt.want)
			}
		})
	}
}
