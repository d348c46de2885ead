package clickhouse

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/sqlite"
	"github.com/loquat-dev/loquat/projections/storetest"
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
		{"before 1970", []string{"1970-01-01 00:00", "1969-12-31 07:59", "1969-12-31 08:00", "1969-12-30 23:59"}},
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

// capturingStore records the batches a projector commits to a SQLite store,
// with their order changes.
type capturingStore struct {
	*sqlite.Store
	mu      sync.Mutex
	batches []*projections.Batch
}

func (c *capturingStore) NeedsOrderChanges() bool { return true }

func (c *capturingStore) Commit(ctx context.Context, b *projections.Batch) error {
	if err := c.Store.Commit(ctx, b); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, b)
	return nil
}

// sortKeys are the sorting keys of the per-line tables (schema.go), which
// TestInsertsInSortKeyOrder reads from the server instead.
var sortKeys = map[string][]string{
	"lines":              {"platform", "order_id", "line_id", "batch"},
	"shares":             {"batch"},
	"entries":            {"day", "platform", "order_id", "line_id", "entry_id"},
	"livestream_entries": {"livestream_id", "day", "platform", "order_id", "line_id", "entry_id"},
	"refund_entries":     {"day", "platform", "order_id", "line_id", "entry_id"},
	"retracted_entries":  {"platform", "order_id", "line_id", "entry_id"},
	"order_counts":       {"gs", "day", "platform", "enterprise_id", "village_id", "livestream_id", "batch"},
}

// TestBatchRowsInKeyOrder builds, without a server, the rows of every batch
// a projector commits of a generated data set in small batches, and of a
// batch made by hand (entries retracted and added again with other shares,
// entry ids out of order, order ids one a prefix of another, a China-time
// midnight), and checks that each per-line
// table's rows are in its sort key order, that the shares are exactly the
// batch's signed rows, and that the states handed to the line cache are
// each change's own.
func TestBatchRowsInKeyOrder(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "readmodel.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	capture := &capturingStore{Store: db}
	ds := storetest.Generate(5, 1500)
	ds.Project(t, capture, 60)
	// Entries retracted and added again are rare in generated data: a
	// batch made by hand has them.
	capture.batches = append(capture.batches, handMadeBatch())

	s := newStore(Config{}, nil)
	rows := map[string]int{}
	for n, b := range capture.batches {
		// The snapshots as stored, so that building asks no server.
		for _, c := range b.Lines {
			if c.State.Listing != nil {
				h, _ := s.snapshots.HashOf(c.State.Listing)
				s.snapshots.MarkStored([]string{h})
			}
		}
		content, err := s.batchRows(ctx, b, uint64(n+1))
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range content.inserts {
			key, ok := sortKeys[in.table]
			if !ok {
				continue
			}
			var cols []any
			for _, k := range key {
				i := slices.Index(in.columns, k)
				if i < 0 {
					t.Fatalf("%s has no column %s", in.table, k)
				}
				cols = append(cols, in.parts[i].rows(0, in.len()))
			}
			for r := 1; r < in.len(); r++ {
				if compareAt(cols, r-1, r) > 0 {
					t.Fatalf("batch %d, %s: row %d sorts after row %d", n+1, in.table, r-1, r)
				}
			}
			rows[in.table] += in.len()
			if in.table == "shares" {
				checkShares(t, b, in)
			}
		}
		for i, c := range b.Lines {
			st := content.stored[i]
			if st.Payment != c.State.Payment || len(st.Refunds) != len(c.State.Refunds) {
				t.Fatalf("batch %d: stored state %d is not its change's", n+1, i)
			}
		}
	}
	for table := range sortKeys {
		least := 20
		if table == "retracted_entries" {
			least = 5 // mostly the hand-made batch's
		}
		if rows[table] < least {
			t.Errorf("%s: only %d rows checked", table, rows[table])
		}
	}
	t.Logf("%d batches; rows checked: %v", len(capture.batches), rows)
}

// checkShares compares the shares insert with the batch's signed ledger
// rows.
func checkShares(t *testing.T, b *projections.Batch, in *insert) {
	t.Helper()
	var want, got []string
	for _, c := range b.Lines {
		for _, r := range c.Retract {
			want = append(want, fmt.Sprint(r.EntryID, r.PartyKind, r.PartyID, int64(r.AmountFen), int8(-1)))
		}
		for _, r := range c.Add {
			want = append(want, fmt.Sprint(r.EntryID, r.PartyKind, r.PartyID, int64(r.AmountFen), int8(1)))
		}
	}
	col := func(i int) any { return in.parts[i].rows(0, in.len()) }
	for r := 0; r < in.len(); r++ {
		s := func(i int) string { return col(i).([]string)[r] }
		got = append(got, fmt.Sprint(s(0), domain.PartyKind(s(1)), s(2), col(3).([]int64)[r], col(4).([]int8)[r]))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("the shares are not the batch's ledger rows: %d rows, want %d", len(got), len(want))
	}
}

// compareAt compares rows a and b of the key columns cols ([]string,
// []int64 or []uint64 each), as the server orders them.
func compareAt(cols []any, a, b int) int {
	for _, col := range cols {
		var c int
		switch v := col.(type) {
		case []string:
			c = strings.Compare(v[a], v[b])
		case []int64:
			c = cmp.Compare(v[a], v[b])
		case []uint64:
			c = cmp.Compare(v[a], v[b])
		default:
			panic(fmt.Sprintf("key column of %T", col))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// handMadeBatch has line changes that generated data rarely has: an entry
// retracted and added again with other shares beside a new entry whose id
// sorts before it, order ids one the prefix of another, three platforms,
// entries either side of a China-time midnight.
func handMadeBatch() *projections.Batch {
	at := time.Date(2024, 5, 1, 23, 30, 0, 0, domain.ChinaTime)
	line := func(platform, order, id string, retract, add []projections.LedgerRow) projections.LineChange {
		k := domain.LineKey{Platform: platform, OrderID: order, LineID: id}
		fill := func(rows []projections.LedgerRow) {
			for i := range rows {
				rows[i].Platform, rows[i].OrderID, rows[i].LineID = platform, order, id
			}
		}
		fill(retract)
		fill(add)
		return projections.LineChange{State: domain.LineState{Key: k, Payment: &domain.LinePayment{EventID: "e-" + order}}, Retract: retract, Add: add}
	}
	share := func(entry string, kind domain.PartyKind, party string, fen domain.Fen, when time.Time) projections.LedgerRow {
		k := domain.EntrySale
		if strings.HasPrefix(entry, "r") {
			k = domain.EntryRefund
		}
		return projections.LedgerRow{EntryID: entry, Kind: k, At: when, PartyKind: kind, PartyID: party, AmountFen: fen, LivestreamID: "douyin:7"}
	}
	late := at.Add(time.Hour) // May 2 in China
	return &projections.Batch{Consumer: "projector", Lines: []projections.LineChange{
		line("jd", "O10", "1",
			[]projections.LedgerRow{share("r1", domain.PartyHousehold, "H2", -50, late), share("r1", domain.PartyCollective, "V1", -30, late), share("r1", domain.PartyEnterprise, "E1", -20, late)},
			[]projections.LedgerRow{share("r1", domain.PartyHousehold, "H1", -40, late), share("r1", domain.PartyHousehold, "H2", -40, late), share("r1", domain.PartyCollective, "V1", -20, late),
				share("a", domain.PartyHousehold, "H3", 300, at), share("a", domain.PartyEnterprise, "E1", 100, at)}),
		line("douyin", "O9", "2", nil, []projections.LedgerRow{share("s9", domain.PartyHousehold, "H1", 10, late)}),
		line("jd", "O1", "1",
			[]projections.LedgerRow{share("r2", domain.PartyEnterprise, "E2", -5, at)},
			[]projections.LedgerRow{share("r2", domain.PartyEnterprise, "E2", -7, at), share("r0", domain.PartyHousehold, "H9", -1, late)}),
		line("832", "P", "1", nil, []projections.LedgerRow{share("s", domain.PartyUnattributed, "", 99, at)}),
		line("douyin", "O10", "1", []projections.LedgerRow{share("x", domain.PartyHousehold, "H1", 5, at)}, nil),
	}}
}
