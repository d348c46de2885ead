package clickhouse

import (
	"fmt"
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
