package domain

import (
	"fmt"
	"time"
)

// ChinaTime is China Standard Time (UTC+8, no daylight saving). Day buckets,
// from/to dates and "today" are always in this zone, never UTC. A fixed zone
// is used instead of time.LoadLocation("Asia/Shanghai") so that a machine
// without tzdata gives the same answers; China has not observed DST since 1991.
var ChinaTime = time.FixedZone("CST", 8*60*60)

// DayLayout is the layout of a China-time date: 2020-04-30.
const DayLayout = "2006-01-02"

// Day is the China-time date of t, as YYYY-MM-DD.
func Day(t time.Time) string {
	var b [16]byte
	return string(appendDay(b[:0], t.In(ChinaTime)))
}

// Minute is the China-time minute of t, as YYYY-MM-DDTHH:MM.
func Minute(t time.Time) string {
	t = t.In(ChinaTime)
	var b [16]byte
	out := appendDay(b[:0], t)
	return string(append(out, 'T', '0'+byte(t.Hour()/10), '0'+byte(t.Hour()%10), ':', '0'+byte(t.Minute()/10), '0'+byte(t.Minute()%10)))
}

// appendDay appends t's date as YYYY-MM-DD, as t.Format(DayLayout) writes
// it, written by hand: the projector formats a day for every ledger row,
// and Format's layout parsing cost more than the rest of the row.
func appendDay(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, DayLayout)
	}
	return append(b, '0'+byte(y/1000), '0'+byte(y/100%10), '0'+byte(y/10%10), '0'+byte(y%10), '-',
		'0'+byte(m/10), '0'+byte(m%10), '-', '0'+byte(d/10), '0'+byte(d%10))
}

// ParseDay parses a YYYY-MM-DD date as the midnight that starts it in China time.
func ParseDay(s string) (time.Time, error) {
	t, err := time.ParseInLocation(DayLayout, s, ChinaTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD: %w", s, err)
	}
	return t, nil
}

// ParseChinaTime parses "YYYY-MM-DD HH:MM:SS" in China time, the way JD and
// most Chinese platform exports write times.
func ParseChinaTime(s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateTime, s, ChinaTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not YYYY-MM-DD HH:MM:SS: %w", s, err)
	}
	return t, nil
}
