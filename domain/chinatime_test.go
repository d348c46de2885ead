package domain_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// TestDayAndMinute holds Day and Minute, written by hand, to time.Format's
// output in China time, across midnights, years and odd inputs.
func TestDayAndMinute(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(2020, 4, 30, 15, 59, 59, 999999999, time.UTC), // 23:59 China time
		time.Date(2020, 4, 30, 16, 0, 0, 0, time.UTC),           // midnight China time
		time.Date(1999, 12, 31, 16, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), // past year 9999 in China time
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2021, 1, 1, 8, 5, 0, 0, time.FixedZone("X", -7*3600)),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(4102444800), r.Int64N(1e9))) // 1970 to 2100
	}
	for _, tm := range times {
		c := tm.In(domain.ChinaTime)
		if got, want := domain.Day(tm), c.Format(domain.DayLayout); got != want {
			t.Fatalf("Day(%s) = %s, want %s", tm, got, want)
		}
		if got, want := domain.Minute(tm), c.Format("2006-01-02T15:04"); got != want {
			t.Fatalf("Minute(%s) = %s, want %s", tm, got, want)
		}
	}
}
