package file_test

import (
	"context"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/file"
)

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts file.Options
		want []string // every problem the error must name; none means valid
	}{
		{"zero value", file.Options{}, nil},
		{"explicit", file.Options{Source: "file:orders.csv", BatchSize: 10, Format: file.FormatJSONL}, nil},
		{"negative batch", file.Options{BatchSize: -1}, []string{"batch size is -1"}},
		{"unknown format", file.Options{Format: "xls"}, []string{`format "xls"`}},
		{"unknown encoding", file.Options{Encoding: "big5"}, []string{`encoding "big5"`}},
		{"both at once", file.Options{BatchSize: -5, Format: "xml"}, []string{"batch size is -5", `format "xml"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got valid, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			// Import refuses the same options before reading anything.
			sink := &collectingSink{}
			if _, err := file.Import(context.Background(), strings.NewReader(paidRow), -1, tt.opts, sink); err == nil {
				t.Error("Import accepted invalid options")
			}
		})
	}
}

func TestFormatFromName(t *testing.T) {
	tests := map[string]file.Format{
		"orders.csv":          file.FormatCSV,
		"/tmp/INCOME.CSV":     file.FormatCSV,
		"orders.jsonl":        file.FormatJSONL,
		"orders.ndjson":       file.FormatJSONL,
		"orders.txt":          file.FormatAuto,
		"-":                   file.FormatAuto,
		"export.2020-05.json": file.FormatAuto,
	}
	for name, want := range tests {
		if got := file.FormatFromName(name); got != want {
			t.Errorf("FormatFromName(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSourceDefault: without a Source, dead letters are named "file:<line>".
func TestSourceDefault(t *testing.T) {
	_, sink := importBytes(t, []byte("household_id,kind,amount,enterprise_id,occurred_at,reference\n\nbad\n"), file.Options{})
	if len(sink.dead) != 1 || sink.dead[0].Source != "file:3" || sink.dead[0].ReceivedAt.IsZero() {
		t.Fatalf("dead letters %+v, want one from source file:3 stamped now", sink.dead)
	}
}
