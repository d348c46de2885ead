package file_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/file"
)

const paidRow = "file,832-1,1,SKU-A,1,1.00,paid,2020-05-02T10:21:00+08:00"

// TestUnknownHeader: a header that is neither kind's columns is a whole-file
// error that lists the expected columns; nothing is appended or dead-lettered.
func TestUnknownHeader(t *testing.T) {
	tests := []struct {
		name, data, wantProblem string
		format                  file.Format
	}{
		{"misspelt", "platform,order_id,line_no,sku_id,quantity,amout,event,occurred_at\n" + paidRow, `unknown column "amout"; missing column "amount"`, ""},
		{"repeated", "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,amount\n" + paidRow, `column "amount" repeats`, ""},
		{"case differs", "Platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n" + paidRow, `unknown column "Platform"`, ""},
		{"income plus extra", "household_id,kind,amount,enterprise_id,occurred_at,reference,note\nH-1,wage,1.00,E,2020-05-02 10:00:00,R,x", `unknown column "note"`, ""},
		{"income missing", "household_id,kind,amount,occurred_at,reference\n", `missing column "enterprise_id"`, ""},
		{"no header", paidRow + "\n" + paidRow, `unknown column "file"`, ""},
		{"bad quoting", "\"platform,order_id\n" + paidRow, `unbalanced quotes`, ""},
		{"JSONL read as CSV", `{"household_id":"H-1"}` + "\n", `bare " in non-quoted-field`, file.FormatCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &collectingSink{}
			opts := testOptions()
			opts.Format = tt.format
			sum, err := file.Import(context.Background(), strings.NewReader(tt.data), -1, opts, sink)
			if !errors.Is(err, file.ErrBadHeader) {
				t.Fatalf("err: got %v, want ErrBadHeader", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantProblem) {
				t.Errorf("error %q does not say %q", msg, tt.wantProblem)
			}
			if !strings.Contains(msg, "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at") ||
				!strings.Contains(msg, "household_id,kind,amount,enterprise_id,occurred_at,reference") {
				t.Errorf("error %q does not list the expected columns", msg)
			}
			if len(sink.batches) != 0 || len(sink.dead) != 0 || sum != (file.Summary{}) {
				t.Errorf("got %d appends, %d dead letters, summary %+v; want nothing imported", len(sink.batches), len(sink.dead), sum)
			}
		})
	}
}

// TestHeaderVariants: headers we accept, and what a file without rows gives.
func TestHeaderVariants(t *testing.T) {
	tests := []struct {
		name, data string
		want       file.Summary
	}{
		{"room_id is optional", "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n" + paidRow, file.Summary{Rows: 1, Events: 1, Kind: file.KindOrders}},
		{"spaces around names", " platform , order_id,line_no,sku_id,quantity,amount,event,occurred_at\n" + paidRow, file.Summary{Rows: 1, Events: 1, Kind: file.KindOrders}},
		{"BOM and blank lines first", "\ufeff\n \n" + "household_id,kind,amount,enterprise_id,occurred_at,reference\n", file.Summary{Kind: file.KindIncome}},
		{"empty file", "", file.Summary{}},
		{"blank lines only", "\n\r\n  \n", file.Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if sum, _ := importBytes(t, []byte(tt.data), testOptions()); sum != tt.want {
				t.Fatalf("summary: got %+v, want %+v", sum, tt.want)
			}
		})
	}
}

// TestBOM: a UTF-8 BOM before the header changes nothing.
func TestBOM(t *testing.T) {
	for _, name := range []string{"orders.csv", "income.csv", "orders.jsonl"} {
		t.Run(name, func(t *testing.T) {
			data := readTestdata(t, name)
			_, plain := importBytes(t, data, testOptions())
			sum, bom := importBytes(t, append([]byte("\ufeff"), data...), testOptions())
			if sum.Events != 3 || !slices.Equal(eventIDs(bom.events), eventIDs(plain.events)) {
				t.Fatalf("with BOM: %+v, ids %v; want the ids %v", sum, eventIDs(bom.events), eventIDs(plain.events))
			}
		})
	}
}
