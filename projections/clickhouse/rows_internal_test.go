package clickhouse

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// TestLineOrder checks lineOrder's integer shortcuts against a plain sort
// by (platform, order_id, line_id): order ids with long shared prefixes,
// of different lengths, one a prefix of another, with zero bytes, a
// platform whose ids share nothing.
func TestLineOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := []func() string{
		func() string {
			return "douyin-" + strings.Repeat("0", rng.IntN(3)) + string(rune('0'+rng.IntN(10))) + string(rune('0'+rng.IntN(10)))
		},
		func() string {
			return "6912345678901234" + string(rune('0'+rng.IntN(10))) + string(rune('0'+rng.IntN(10)))
		},
		func() string { return strings.Repeat("a", rng.IntN(12)) },
		func() string { return "x\x00" + strings.Repeat("\x00", rng.IntN(9)) + string(rune('a'+rng.IntN(3))) },
		func() string { return string(rune('a'+rng.IntN(26))) + "-" + strings.Repeat("9", rng.IntN(20)) },
	}
	for round := range 50 {
		var changes []projections.LineChange
		n := rng.IntN(300)
		for range n {
			p := []string{"douyin", "jd", "kuaishou", "832"}[rng.IntN(4)]
			k := domain.LineKey{Platform: p, OrderID: ids[(round+rng.IntN(2))%len(ids)](), LineID: string(rune('1' + rng.IntN(3)))}
			changes = append(changes, projections.LineChange{State: domain.LineState{Key: k}})
		}
		got := lineOrder(changes)
		if len(got) != len(changes) {
			t.Fatalf("round %d: %d indexes for %d changes", round, len(got), len(changes))
		}
		seen := make([]bool, len(changes))
		for j, i := range got {
			if seen[i] {
				t.Fatalf("round %d: index %d twice", round, i)
			}
			seen[i] = true
			if j == 0 {
				continue
			}
			a, b := changes[got[j-1]].State.Key, changes[i].State.Key
			if c := cmp.Or(strings.Compare(a.Platform, b.Platform), strings.Compare(a.OrderID, b.OrderID), strings.Compare(a.LineID, b.LineID)); c > 0 {
				t.Fatalf("round %d: %q sorted before %q", round, a, b)
			}
		}
	}
}

// TestEntryColumnsByDay checks that the entries go to their columns by
// China-time day, in line order within a day, across a day boundary in
// China time that is not one in UTC, and over dates decades apart (the
// sort that does not count per day).
func TestEntryColumnsByDay(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, domain.ChinaTime)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		ats  []string
	}{
		{"a few days", []string{"2024-05-02 00:10", "2024-05-01 23:50", "2024-05-02 07:59", "2024-05-01 08:00", "2024-05-03 12:00", "2024-05-01 00:00"}},
		{"decades apart", []string{"2024-05-02 00:10", "1999-12-31 23:59", "2061-01-01 00:00", "1999-12-31 16:00", "2024-05-01 23:50"}},
		{"before 1970", []string{"1969-12-31 07:59", "1969-12-31 08:00", "1969-12-30 23:59", "1970-01-01 00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &lineRows{}
			for i, s := range tt.ats {
				rows := []projections.LedgerRow{{EntryID: string(rune('a' + i)), At: at(s), Kind: domain.EntrySale}}
				w.ents = append(w.ents, entryRef{rows: rows, sign: 1, day: chinaDay(rows[0].At)})
			}
			w.entryColumns()
			type row struct{ day, entry string }
			var got, want []row
			for i := range w.eDay {
				got = append(got, row{w.eDay[i], w.eEntry[i]})
			}
			for i, s := range tt.ats {
				want = append(want, row{domain.Day(at(s)), string(rune('a' + i))})
			}
			slices.SortStableFunc(want, func(a, b row) int { return strings.Compare(a.day, b.day) })
			if !slices.Equal(got, want) {
				t.Errorf("entries\n got %v\nwant %v", got, want)
			}
		})
	}
}
