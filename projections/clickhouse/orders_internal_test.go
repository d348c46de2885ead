package clickhouse

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// TestOrderCountsInsert checks the ±1 moves of order_counts for one batch's
// order changes, grouping by grouping.
func TestOrderCountsInsert(t *testing.T) {
	day1 := time.Date(2024, 5, 1, 23, 30, 0, 0, domain.ChinaTime) // 15:30 UTC: still May 1 in China
	day2 := day1.Add(time.Hour)
	sale := func(entry, enterprise, livestream string, at time.Time) projections.LedgerRow {
		return projections.LedgerRow{EntryID: entry, Kind: domain.EntrySale, At: at, Platform: "douyin", OrderID: "O1",
			EnterpriseID: enterprise, VillageID: "V1", LivestreamID: livestream}
	}
	refund := func(entry string, at time.Time) projections.LedgerRow {
		r := sale(entry, "E1", "douyin:1", at)
		r.Kind = domain.EntryRefund
		return r
	}
	tests := []struct {
		name          string
		before, after []projections.LedgerRow
		want          []string // "gs day platform/enterprise/village/livestream: delta"
	}{
		{"a new order counts once in every grouping",
			nil, []projections.LedgerRow{sale("a", "E1", "douyin:1", day1), sale("b", "E1", "douyin:1", day1)},
			[]string{
				"all 2024-05-01 ///: 1", "enterprise_id 2024-05-01 /E1//: 1", "enterprise_id+livestream_id 2024-05-01 /E1//douyin:1: 1",
				"livestream_id 2024-05-01 ///douyin:1: 1", "platform 2024-05-01 douyin///: 1", "village_id 2024-05-01 //V1/: 1",
			}},
		{"two enterprises: once in each, once in all",
			nil, []projections.LedgerRow{sale("a", "E1", "", day1), sale("b", "E2", "", day1)},
			[]string{
				"all 2024-05-01 ///: 1", "enterprise_id 2024-05-01 /E1//: 1", "enterprise_id 2024-05-01 /E2//: 1",
				"enterprise_id+livestream_id 2024-05-01 /E1//: 1", "enterprise_id+livestream_id 2024-05-01 /E2//: 1",
				"livestream_id 2024-05-01 ///: 1", "platform 2024-05-01 douyin///: 1", "village_id 2024-05-01 //V1/: 1",
			}},
		{"a refund changes no count",
			[]projections.LedgerRow{sale("a", "E1", "", day1)}, []projections.LedgerRow{sale("a", "E1", "", day1), refund("r", day2)},
			nil},
		{"a second line in the same groups changes no count",
			[]projections.LedgerRow{sale("a", "E1", "", day1)}, []projections.LedgerRow{sale("a", "E1", "", day1), sale("b", "E1", "", day1)},
			nil},
		{"a line moving to another enterprise moves the order there",
			[]projections.LedgerRow{sale("a", "E1", "", day1)}, []projections.LedgerRow{sale("a", "E2", "", day1)},
			[]string{
				"enterprise_id 2024-05-01 /E1//: -1", "enterprise_id 2024-05-01 /E2//: 1",
				"enterprise_id+livestream_id 2024-05-01 /E1//: -1", "enterprise_id+livestream_id 2024-05-01 /E2//: 1",
			}},
		{"the order's last sale gone: out of every grouping",
			[]projections.LedgerRow{sale("a", "E1", "", day2)}, []projections.LedgerRow{refund("r", day2)},
			[]string{
				"all 2024-05-02 ///: -1", "enterprise_id 2024-05-02 /E1//: -1", "enterprise_id+livestream_id 2024-05-02 /E1//: -1",
				"livestream_id 2024-05-02 ///: -1", "platform 2024-05-02 douyin///: -1", "village_id 2024-05-02 //V1/: -1",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := orderCountsInsert([]projections.OrderChange{{Platform: "douyin", OrderID: "O1", Before: tt.before, After: tt.after}}, 7, 3)
			var got []string
			for i := 0; i < in.len(); i++ {
				v := func(c int) any { return in.parts[c].rows(i, i+1) }
				s := func(c int) string { return v(c).([]string)[0] }
				if g, b := v(7).([]uint64)[0], v(8).([]uint64)[0]; g != 3 || b != 7 {
					t.Errorf("row %d: gen %d batch %d, want 3 and 7", i, g, b)
				}
				got = append(got, fmt.Sprintf("%s %s %s/%s/%s/%s: %d", s(0), s(1), s(2), s(3), s(4), s(5), v(6).([]int64)[0]))
			}
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("rows\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestOrderCountsInsertMatchesPerOrderSets checks orderCountsInsert (which
// counts orders by their set of dimensions) against the definition worked
// out order by order: an order counts once in each grouping key that one
// of its live sale entries falls in, and a batch moves a key by the orders
// that entered it minus those that left. The changes are random, from few
// dimension values, so that orders have one set of dimensions, several,
// none or more than maxSetDims, before and after.
func TestOrderCountsInsertMatchesPerOrderSets(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	day := time.Date(2024, 5, 1, 10, 0, 0, 0, domain.ChinaTime)
	pick := func(vals ...string) string { return vals[rng.IntN(len(vals))] }
	entries := func() []projections.LedgerRow {
		var out []projections.LedgerRow
		for range rng.IntN(4) + rng.IntN(2)*rng.IntN(5) { // now and then more dimensions than maxSetDims
			r := projections.LedgerRow{EntryID: fmt.Sprint(rng.IntN(1000)), Kind: domain.EntrySale, Platform: pick("douyin", "jd"),
				At:           day.Add(time.Duration(rng.IntN(3)) * 20 * time.Hour),
				EnterpriseID: pick("E1", "E2"), VillageID: pick("V1", "V2"), LivestreamID: pick("", "douyin:1")}
			if rng.IntN(5) == 0 {
				r.Kind = domain.EntryRefund
			}
			n := 1 + rng.IntN(3) // an entry's shares: rows alike but for the party
			for range n {
				out = append(out, r)
			}
		}
		return out
	}
	var changes []projections.OrderChange
	for i := range 3000 {
		c := projections.OrderChange{Platform: "douyin", OrderID: fmt.Sprint("O", i), After: entries()}
		switch rng.IntN(3) {
		case 0: // a new order
		case 1: // unchanged dimensions
			c.Before = c.After
		case 2:
			c.Before = entries()
		}
		changes = append(changes, c)
	}
	want := map[string]int64{}
	keysOf := func(rows []projections.LedgerRow) map[string]bool {
		out := map[string]bool{}
		for _, r := range rows {
			if r.Kind != domain.EntrySale {
				continue
			}
			for g, dims := range orderGroupings {
				k := []string{orderGroupingNames[g], domain.Day(r.At), "", "", "", ""}
				for _, d := range dims {
					switch d {
					case projections.DimPlatform:
						k[2] = r.Platform
					case projections.DimEnterprise:
						k[3] = r.EnterpriseID
					case projections.DimVillage:
						k[4] = r.VillageID
					case projections.DimLivestream:
						k[5] = r.LivestreamID
					}
				}
				out[fmt.Sprintf("%s %s %s/%s/%s/%s", k[0], k[1], k[2], k[3], k[4], k[5])] = true
			}
		}
		return out
	}
	for _, c := range changes {
		before, after := keysOf(c.Before), keysOf(c.After)
		for k := range after {
			if !before[k] {
				want[k]++
			}
		}
		for k := range before {
			if !after[k] {
				want[k]--
			}
		}
	}
	in := orderCountsInsert(changes, 1, 0)
	got := map[string]int64{}
	for i := 0; i < in.len(); i++ {
		v := func(c int) any { return in.parts[c].rows(i, i+1) }
		s := func(c int) string { return v(c).([]string)[0] }
		k := fmt.Sprintf("%s %s %s/%s/%s/%s", s(0), s(1), s(2), s(3), s(4), s(5))
		if _, dup := got[k]; dup {
			t.Errorf("key %s written twice", k)
		}
		got[k] = v(6).([]int64)[0]
	}
	for k, n := range want {
		if n == 0 {
			delete(want, k)
		}
	}
	if !maps.Equal(got, want) {
		t.Errorf("order count moves differ from the per-order definition:\n got %v\nwant %v", got, want)
	}
	if len(got) < 20 {
		t.Errorf("only %d keys moved: the random changes do not exercise the counts", len(got))
	}
}
