package demo

import (
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// TestChooseDayNeverInTheFuture: the default day's whole aftermath (the
// last Douyin push, the pollers' clock) lies before now, for several
// "nows"; an explicit day too recent is refused; an old one is kept.
func TestChooseDayNeverInTheFuture(t *testing.T) {
	for _, now := range []time.Time{
		time.Date(2026, 12, 7, 21, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 7, 16, 30, 0, 0, time.UTC), // just after China midnight
		time.Date(2024, 2, 29, 3, 0, 0, 0, domain.ChinaTime),
	} {
		p, err := chooseDay("", 1600, 1, now)
		if err != nil {
			t.Fatalf("now %s: %v", now, err)
		}
		if p.last.After(now) {
			t.Errorf("now %s: default day %s writes until %s", now, domain.Day(p.day), p.last)
		}
		for _, m := range p.live.Messages {
			if m.At.After(now) {
				t.Fatalf("now %s: a Douyin message pushed at %s", now, m.At)
			}
		}
		if p.pollerClock().After(now) {
			t.Errorf("now %s: the pollers' clock %s", now, p.pollerClock())
		}
		yesterday := domain.Day(now.AddDate(0, 0, -1))
		if d := domain.Day(p.day); d > yesterday || p.day.Before(now.AddDate(0, 0, -30)) {
			t.Errorf("now %s: default day %s, want within a month before %s", now, d, yesterday)
		}
		if _, err := chooseDay(yesterday, 1600, 1, now); err == nil || !strings.Contains(err.Error(), "later than now") {
			t.Errorf("now %s: --day %s (yesterday) gave %v, want it refused as later than now", now, yesterday, err)
		}
	}
	p, err := chooseDay("2020-04-30", 1600, 1, time.Now())
	if err != nil || domain.Day(p.day) != "2020-04-30" {
		t.Fatalf("--day 2020-04-30: %v, %+v", err, p)
	}
}
