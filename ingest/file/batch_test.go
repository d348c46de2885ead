package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
)

// ordersCSV builds an orders file of n paid rows, orders B-0000, B-0001, ...
func ordersCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id\n")
	for i := range n {
		fmt.Fprintf(&b, "file,B-%04d,1,SKU-A,1,%d.50,paid,2020-05-02 10:21:00,\n", i, i)
	}
	return b.Bytes()
}

func orderIDs(events []domain.Event) []string {
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.(*domain.OrderPaid).OrderID
	}
	return ids
}

// TestBatching: events reach the sink in batches of BatchSize, in file
// order, the last partial batch flushed at the end.
func TestBatching(t *testing.T) {
	tests := []struct {
		rows, batchSize int
		wantBatches     []int
	}{
		{2500, 1000, []int{1000, 1000, 500}},
		{2000, 1000, []int{1000, 1000}},
		{3, 0, []int{3}}, // 0 selects the default, 1000
		{3, 1, []int{1, 1, 1}},
		{0, 10, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d rows by %d", tt.rows, tt.batchSize), func(t *testing.T) {
			opts := testOptions()
			opts.BatchSize = tt.batchSize
			sum, sink := importBytes(t, ordersCSV(tt.rows), opts)
			if !slices.Equal(sink.batches, tt.wantBatches) {
				t.Fatalf("Append calls: got sizes %v, want %v", sink.batches, tt.wantBatches)
			}
			want := make([]string, tt.rows)
			for i := range want {
				want[i] = fmt.Sprintf("B-%04d", i)
			}
			if got := orderIDs(sink.events); !slices.Equal(got, want) {
				t.Fatalf("events are not in file order: got %v", got)
			}
			if sum.Events != tt.rows || sum.Rows != tt.rows {
				t.Fatalf("summary %+v, want %d rows and events", sum, tt.rows)
			}
		})
	}
}

// TestProgress: the callback only grows and ends at the input's size.
func TestProgress(t *testing.T) {
	data := ordersCSV(3000) // larger than one read buffer
	var got []int64
	opts := testOptions()
	opts.Progress = func(n int64) { got = append(got, n) }
	importBytes(t, data, opts)
	if len(got) < 2 || !slices.IsSorted(got) || got[len(got)-1] != int64(len(data)) {
		t.Fatalf("progress calls %v: want at least two, increasing, ending at %d", got, len(data))
	}
}

// TestStops: sink failures, read failures, cancellation and a short file
// return an error (so the caller retries); counts say what was done.
func TestStops(t *testing.T) {
	errBoom := errors.New("boom")
	data := ordersCSV(2500)
	tests := []struct {
		name      string
		reader    func() io.Reader
		size      int64
		setup     func(s *collectingSink, cancel context.CancelFunc)
		wantErr   error
		wantSum   file.Summary
		wantBatch []int
	}{
		{
			name:    "append fails",
			reader:  func() io.Reader { return bytes.NewReader(data) },
			setup:   func(s *collectingSink, _ context.CancelFunc) { s.appendErr = errBoom },
			wantErr: errBoom, wantSum: file.Summary{Rows: 1000, Kind: file.KindOrders},
		},
		{
			name:    "cancelled after the first batch",
			reader:  func() io.Reader { return bytes.NewReader(data) },
			setup:   func(s *collectingSink, cancel context.CancelFunc) { s.afterAppend = cancel },
			wantErr: context.Canceled, wantSum: file.Summary{Rows: 1000, Events: 1000, Kind: file.KindOrders}, wantBatch: []int{1000},
		},
		{
			name: "dead letter fails",
			reader: func() io.Reader {
				return strings.NewReader("household_id,kind,amount,enterprise_id,occurred_at,reference\nbad\n")
			},
			setup:   func(s *collectingSink, _ context.CancelFunc) { s.deadErr = errBoom },
			wantErr: errBoom, wantSum: file.Summary{Rows: 1, Kind: file.KindIncome},
		},
		{
			name:    "read fails",
			reader:  func() io.Reader { return io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(errBoom)) },
			setup:   func(*collectingSink, context.CancelFunc) {},
			wantErr: errBoom, wantSum: file.Summary{Rows: bytes.Count(data[:5000], []byte("\n")) - 1, Kind: file.KindOrders}, // the header; the cut line is not a row
		},
		{
			name:    "shorter than its size",
			reader:  func() io.Reader { return bytes.NewReader(data) },
			size:    int64(len(data)) + 1,
			setup:   func(*collectingSink, context.CancelFunc) {},
			wantErr: io.ErrUnexpectedEOF, wantSum: file.Summary{Rows: 2500, Events: 2500, Kind: file.KindOrders}, wantBatch: []int{1000, 1000, 500},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sink := &collectingSink{}
			tt.setup(sink, cancel)
			sum, err := file.Import(ctx, tt.reader(), tt.size, testOptions(), sink)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if sum != tt.wantSum || !slices.Equal(sink.batches, tt.wantBatch) {
				t.Fatalf("got %+v with batches %v, want %+v with %v", sum, sink.batches, tt.wantSum, tt.wantBatch)
			}
		})
	}
}
