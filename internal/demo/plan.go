package demo

import (
	"fmt"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// dayPlan is everything the demo sells on its day and after it (refunds,
// deliveries, cancellations days later), generated before anything is
// written, so that the demo can check none of it lies in the future.
type dayPlan struct {
	day  time.Time // China-time midnight
	live *douyinsim.LiveDay
	jd   *jdsim.Book
	ks   *kuaishousim.Book
	// last is the time of the last thing the demo writes: the last Douyin
	// push, or the pollers' clock (an hour after both shops settled).
	last time.Time
}

// pollerClock is where the demo's pollers think "now" is: an hour after
// every order of both shops is final.
func (p *dayPlan) pollerClock() time.Time {
	settled := p.jd.Settled
	if p.ks.Settled.After(settled) {
		settled = p.ks.Settled
	}
	return settled.Add(time.Hour)
}

// planDay generates the demo's sales on day.
func planDay(day time.Time, orders int, seed uint64) (*dayPlan, error) {
	p := &dayPlan{day: day}
	var err error
	p.live, err = douyinsim.GenerateLiveDay(douyinsim.DayOptions{
		Date: domain.Day(day), Catalogue: Catalogue(), RoomID: 6823941120781224715, AnchorID: 71286300123,
		AnchorName: "青溪助农直播间", ShopID: 7654321, ShopName: "青溪助农优选", Orders: orders, Seed: seed,
	})
	if err != nil {
		return nil, err
	}
	p.jd, err = jdsim.Generate(jdsim.GenerateOptions{From: day.Add(channelStart), Span: channelSpan, Orders: shelfOrders,
		CancelPercent: 3, Catalogue: JDCatalogue(), Seed: seed})
	if err != nil {
		return nil, err
	}
	p.ks, err = kuaishousim.Generate(kuaishousim.GenerateOptions{From: day.Add(channelStart), Span: channelSpan, Orders: distributorOrders,
		CancelPercent: 3, Catalogue: KuaishouCatalogue(), Seed: seed + 1})
	if err != nil {
		return nil, err
	}
	p.last = p.pollerClock()
	for _, m := range p.live.Messages {
		if m.At.After(p.last) {
			p.last = m.At
		}
	}
	// The file channels, the income ledgers and the registry's changes all
	// fall within the day itself.
	if end := day.AddDate(0, 0, 1); end.After(p.last) {
		p.last = end
	}
	return p, nil
}

// maxDaysBack bounds the search for a default day: the simulated aftermath
// of a day lasts about a week.
const maxDaysBack = 60

// chooseDay plans the demo's day. An explicit day must lie far enough back
// that its whole aftermath has happened by now; without one, the demo takes
// the latest such day (about a week ago), so nothing it writes is later
// than now and the households' trailing-year income includes it.
func chooseDay(explicit string, orders int, seed uint64, now time.Time) (*dayPlan, error) {
	if explicit != "" {
		day, err := domain.ParseDay(explicit)
		if err != nil {
			return nil, fmt.Errorf("--day=%q: %w", explicit, err)
		}
		p, err := planDay(day, orders, seed)
		if err != nil {
			return nil, err
		}
		if p.last.After(now) {
			return nil, fmt.Errorf("--day=%s: its refunds, deliveries and cancellations would run until %s, later than now; "+
				"pick an earlier day, or leave --day out for the latest day that has fully happened",
				explicit, p.last.In(domain.ChinaTime).Format("2006-01-02 15:04 MST"))
		}
		return p, nil
	}
	today, err := domain.ParseDay(domain.Day(now))
	if err != nil {
		return nil, err
	}
	day := today.AddDate(0, 0, -1)
	for range maxDaysBack {
		p, err := planDay(day, orders, seed)
		if err != nil {
			return nil, err
		}
		if !p.last.After(now) {
			return p, nil
		}
		over := p.last.Sub(now)
		day = day.AddDate(0, 0, -int((over+24*time.Hour-1)/(24*time.Hour)))
	}
	return nil, fmt.Errorf("no day in the last %d days has a simulated aftermath that ended by now; give --day", maxDaysBack)
}
