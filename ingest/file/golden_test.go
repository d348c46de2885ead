package file_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the sample CSVs")

// goldenEvent is how an event appears in a golden file: everything that
// reaches the log.
type goldenEvent struct {
	Type         domain.EventType `json:"type"`
	ID           string           `json:"id"`
	PartitionKey string           `json:"partition_key"`
	Payload      json.RawMessage  `json:"payload"`
}

func goldenJSON(t *testing.T, events []domain.Event) []byte {
	t.Helper()
	out := make([]goldenEvent, len(events))
	for i, e := range events {
		payload, err := domain.MarshalEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = goldenEvent{e.Type(), e.ID(), e.PartitionKey(), payload}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// TestImportGolden checks the samples against their golden events, and that
// the same content as JSONL, or as CSV with a BOM, CRLF, blank lines, padded
// values and reordered columns, gives exactly the same events and ids.
func TestImportGolden(t *testing.T) {
	tests := []struct {
		input, golden, kind string
		canonical           bool // -update writes the golden file from this input
	}{
		{"orders.csv", "orders.golden.json", file.KindOrders, true},
		{"orders.jsonl", "orders.golden.json", file.KindOrders, false},
		{"orders-bom-crlf-reordered.csv", "orders.golden.json", file.KindOrders, false},
		{"income.csv", "income.golden.json", file.KindIncome, true},
		{"income.jsonl", "income.golden.json", file.KindIncome, false},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			sum, sink := importBytes(t, readTestdata(t, tt.input), testOptions())
			want := file.Summary{Rows: 3, Events: 3, Kind: tt.kind}
			if sum != want {
				t.Fatalf("summary: got %+v, want %+v", sum, want)
			}
			got := goldenJSON(t, sink.events)
			path := filepath.Join("testdata", tt.golden)
			if *update && tt.canonical {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if wantJSON := readTestdata(t, tt.golden); string(got) != string(wantJSON) {
				t.Fatalf("events differ from %s (run with -update after checking):\ngot:\n%s", path, got)
			}
		})
	}
}

// TestSampleFigures pins the numbers the samples README promises, so a wrong
// golden file cannot be accepted by -update unnoticed.
func TestSampleFigures(t *testing.T) {
	_, orders := importBytes(t, readTestdata(t, "orders.csv"), testOptions())
	paid, ok := orders.events[0].(*domain.OrderPaid)
	if !ok {
		t.Fatalf("first event: got %T, want *domain.OrderPaid", orders.events[0])
	}
	wantPaidAt := time.Date(2020, 5, 2, 10, 21, 0, 0, domain.ChinaTime)
	if paid.OrderID != "832-20200502-000117" || paid.Lines[0].LineID != "1" || paid.Lines[0].AmountFen != 26700 ||
		!paid.PaidAt.Equal(wantPaidAt) || !paid.CreatedAt.Equal(wantPaidAt) || paid.Lines[0].Quantity != 3 || paid.Lines[0].Livestream != nil {
		t.Fatalf("payment: got %+v line %+v, want order 832-20200502-000117 line 1 qty 3 26700 fen at %v", paid, paid.Lines[0], wantPaidAt)
	}
	refund, ok := orders.events[2].(*domain.RefundSucceeded)
	if !ok {
		t.Fatalf("third event: got %T, want *domain.RefundSucceeded", orders.events[2])
	}
	wantRefundAt := time.Date(2020, 5, 4, 16, 2, 0, 0, domain.ChinaTime)
	if refund.OrderID != "832-20200502-000117" || refund.LineID != "1" || refund.AmountFen != 8900 || !refund.RefundedAt.Equal(wantRefundAt) {
		t.Fatalf("refund: got %+v, want line 1 of 832-20200502-000117, 8900 fen at %v", refund, wantRefundAt)
	}

	_, income := importBytes(t, readTestdata(t, "income.csv"), testOptions())
	got := map[string]domain.Fen{}
	for _, e := range income.events {
		r := e.(*domain.IncomeRecorded)
		got[r.HouseholdID] += r.AmountFen
	}
	want := map[string]domain.Fen{"H-0004": 180000, "H-0001": 126050, "H-0005": 60000}
	for h, fen := range want {
		if got[h] != fen {
			t.Errorf("income of %s: got %d fen, want %d", h, got[h], fen)
		}
	}
}

// TestReimportSameIDs: importing a file again yields the same event ids (so
// the log counts them once) and the same dead-letter ids.
func TestReimportSameIDs(t *testing.T) {
	for _, name := range []string{"orders.csv", "income.csv", "bad-orders.csv", "bad-orders.jsonl"} {
		t.Run(name, func(t *testing.T) {
			data := readTestdata(t, name)
			_, first := importBytes(t, data, testOptions())
			_, again := importBytes(t, data, testOptions())
			if a, b := eventIDs(first.events), eventIDs(again.events); !slices.Equal(a, b) {
				t.Fatalf("event ids differ:\nfirst %v\nagain %v", a, b)
			}
			for i := range first.dead {
				if first.dead[i].ID != again.dead[i].ID {
					t.Fatalf("dead letter %d: id %s then %s", i, first.dead[i].ID, again.dead[i].ID)
				}
			}
			if ids := eventIDs(first.events); len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
				t.Fatalf("two rows share an event id: %v", ids)
			}
		})
	}
}
