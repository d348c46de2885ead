package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/file"
)

// FuzzImport: any input is imported without panicking; unless the header is
// refused, every non-blank data line becomes exactly one event or one dead
// letter, and only valid events reach the sink.
func FuzzImport(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\ufeffhousehold_id,kind,amount,enterprise_id,occurred_at,reference\r\nH,wage,1,E,2020-05-02 10:00:00,\"R\"\"1\"\r\n"))
	f.Add([]byte("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n\"a\nb\",c\n"))
	f.Add([]byte(`{"order_id":1}` + "\n" + `{"amount":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sink := &collectingSink{}
		opts := testOptions()
		opts.BatchSize = 3
		sum, err := file.Import(context.Background(), bytes.NewReader(data), int64(len(data)), opts, sink)
		if err != nil {
			if !errors.Is(err, file.ErrBadHeader) {
				t.Fatalf("only a bad header may fail an in-memory import, got %v", err)
			}
			if sum != (file.Summary{}) || len(sink.events)+len(sink.dead) != 0 {
				t.Fatalf("a refused header still imported %+v", sum)
			}
			return
		}
		want := dataRows(data)
		if sum.Rows != want || sum.Events+sum.Rejected != want || len(sink.events) != sum.Events || len(sink.dead) != sum.Rejected {
			t.Fatalf("summary %+v with %d events and %d dead letters, want %d rows each an event or a dead letter",
				sum, len(sink.events), len(sink.dead), want)
		}
		for _, e := range sink.events {
			if err := e.Validate(); err != nil {
				t.Fatalf("invalid event reached the sink: %v", err)
			}
		}
		for _, dl := range sink.dead {
			if line := strings.TrimPrefix(dl.Source, "test:"); !strings.HasPrefix(dl.Reason, fmt.Sprintf("line %s: ", line)) {
				t.Fatalf("reason %q does not name line %s", dl.Reason, line)
			}
		}
	})
}

// dataRows counts the non-blank lines after a BOM, less the header line when
// the first one does not start with '{' (the documented CSV detection).
func dataRows(data []byte) int {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	rows, csv := 0, false
	for _, line := range bytes.Split(data, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 {
			continue
		}
		if rows == 0 && !csv && trimmed[0] != '{' {
			csv = true // the header
			continue
		}
		rows++
	}
	return rows
}
