package douyinsim_test

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// catalogue is a small shop: two loquat SKUs among four.
var catalogue = []douyinsim.SKU{
	{SKUID: "1747203364827180", Name: "萍湖枇杷 5斤装 新鲜现摘", Product: "loquat", PriceFen: 6900},
	{SKUID: "1747203364827190", Name: "坑坪扶贫香菇 500g", Product: "shiitake", PriceFen: 3990},
	{SKUID: "1747203364827181", Name: "萍湖枇杷 3斤礼盒", Product: "loquat", PriceFen: 4990},
	{SKUID: "1747203364827200", Name: "埔柳蜂蜜 500g", Product: "honey", PriceFen: 5800},
}

func dayOptions(seed uint64) douyinsim.DayOptions {
	return douyinsim.DayOptions{
		Date: "2020-04-30", Catalogue: catalogue, Seed: seed, Orders: 1500,
		RoomID: 6823941120781224715, AnchorID: 71286300123,
	}
}

func generate(t *testing.T, opts douyinsim.DayOptions) *douyinsim.LiveDay {
	t.Helper()
	day, err := douyinsim.GenerateLiveDay(opts)
	if err != nil {
		t.Fatal(err)
	}
	return day
}

func TestGenerateLiveDaySanity(t *testing.T) {
	day := generate(t, dayOptions(7))
	l := day.Ledger

	if l.OrdersPaid < 1500 {
		t.Errorf("want at least 1500 paid orders, got %d", l.OrdersPaid)
	}
	if l.OrdersCreated <= l.OrdersPaid {
		t.Errorf("want some created-but-never-paid orders: %d created, %d paid", l.OrdersCreated, l.OrdersPaid)
	}
	if s := l.RefundShare(); s < 0.02 || s > 0.04 {
		t.Errorf("refund share: want 2%%–4%%, got %.2f%%", 100*s)
	}

	// The ledger agrees with the orders as the platform serves them.
	var gmv domain.Fen
	paid, perMinute := 0, map[string]int{}
	for _, o := range day.Orders {
		if len(o.OrderID) < 19 {
			t.Fatalf("order id %s is not a 19-digit id beyond 2^53", o.OrderID)
		}
		perMinute[domain.Minute(time.Unix(o.CreateTime, 0))]++
		if o.PayTime == 0 {
			continue
		}
		paid++
		for _, s := range o.SkuOrderList {
			gmv += domain.Fen(s.PayAmount - s.PostAmount)
		}
	}
	if paid != l.OrdersPaid || gmv != l.GMVFen {
		t.Errorf("ledger: want %d paid orders and GMV %d fen from the order book, got %d and %d", paid, gmv, l.OrdersPaid, l.GMVFen)
	}
	if l.NetFen != l.GMVFen-l.RefundsFen || l.RefundsFen <= 0 {
		t.Errorf("net %d fen is not GMV %d − refunds %d", l.NetFen, l.GMVFen, l.RefundsFen)
	}
	var byDay, bySKU douyinsim.Totals
	for _, d := range l.ByDay {
		byDay.GMVFen, byDay.RefundsFen = byDay.GMVFen+d.GMVFen, byDay.RefundsFen+d.RefundsFen
	}
	for _, s := range l.BySKU {
		bySKU.GMVFen, bySKU.RefundsFen = bySKU.GMVFen+s.GMVFen, bySKU.RefundsFen+s.RefundsFen
	}
	for what, tot := range map[string]douyinsim.Totals{"by day": byDay, "by sku": bySKU} {
		if tot.GMVFen != l.GMVFen || tot.RefundsFen != l.RefundsFen {
			t.Errorf("%s: GMV %d and refunds %d fen do not add up to %d and %d", what, tot.GMVFen, tot.RefundsFen, l.GMVFen, l.RefundsFen)
		}
	}

	// Bursts: the busiest minute (a loquat flash sale) far above the typical.
	counts := make([]int, 0, len(perMinute))
	busiest := ""
	for m, n := range perMinute {
		counts = append(counts, n)
		if n > perMinute[busiest] {
			busiest = m
		}
	}
	sort.Ints(counts)
	if top, median := counts[len(counts)-1], counts[len(counts)/2]; top < 20 || top < 4*median {
		t.Errorf("want a burst minute of ≥ 20 orders and ≥ 4× the median %d, got %d at %s", median, top, busiest)
	}

	// Every kind of message, and some pushed twice.
	tags, seen, dups := map[string]int{}, map[string]bool{}, 0
	for _, m := range day.Messages {
		if seen[m.MsgID] {
			dups++
			continue
		}
		seen[m.MsgID] = true
		tags[m.Tag]++
	}
	for _, tag := range []string{"100", "101", "102", "103", "106", "200", "206"} {
		if tags[tag] == 0 {
			t.Errorf("no message with tag %s", tag)
		}
	}
	if tags["100"] != l.OrdersCreated || tags["101"] != l.OrdersPaid {
		t.Errorf("want one 100 per order and one 101 per paid order: %d/%d and %d/%d", tags["100"], l.OrdersCreated, tags["101"], l.OrdersPaid)
	}
	if dups == 0 {
		t.Error("no message is pushed twice")
	}
	if !sort.SliceIsSorted(day.Messages, func(i, j int) bool { return day.Messages[i].At.Before(day.Messages[j].At) }) {
		t.Error("messages are not in time order")
	}
}

func TestGenerateLiveDayDeterministic(t *testing.T) {
	a, b := generate(t, dayOptions(42)), generate(t, dayOptions(42))
	if !reflect.DeepEqual(a, b) {
		t.Error("two days generated with seed 42 differ")
	}
	c := generate(t, dayOptions(43))
	if reflect.DeepEqual(a.Ledger, c.Ledger) {
		t.Error("seeds 42 and 43 give the same ledger")
	}
	if a.Orders[0].OrderID == c.Orders[0].OrderID {
		t.Errorf("seeds 42 and 43 share order id %s", a.Orders[0].OrderID)
	}
}

func TestDayOptionsValidate(t *testing.T) {
	_, err := douyinsim.GenerateLiveDay(douyinsim.DayOptions{
		Date:      "30/04/2020",
		Catalogue: []douyinsim.SKU{{SKUID: "12.5", PriceFen: -1}},
		Orders:    -3,
		LiveStart: 23 * time.Hour,
	})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"30/04/2020", "sku_id", "no name", "price", "room_id", "author_id", "orders", "does not fit"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not report %q: %v", want, err)
		}
	}
}

func TestLedgerBySKUCoversCatalogue(t *testing.T) {
	day := generate(t, dayOptions(3))
	for _, s := range catalogue {
		if day.Ledger.BySKU[s.SKUID].GMVFen <= 0 {
			t.Errorf("sku %s sold nothing", s.SKUID)
		}
	}
	if _, err := strconv.ParseInt(day.Messages[0].MsgID, 10, 64); err != nil {
		t.Errorf("msg_id %q is not a 64-bit integer", day.Messages[0].MsgID)
	}
}
