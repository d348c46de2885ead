package file_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/file"
)

// TestSameEventsAsTheSamples: an xlsx workbook (numbers and date cells as
// Excel stores them, Chinese headers and values), a CSV with Chinese
// headers and Excel-style times, and a GBK CSV read with its encoding
// declared all give exactly the sample CSVs' events.
func TestSameEventsAsTheSamples(t *testing.T) {
	tests := []struct {
		input, golden, kind string
		opts                func(*file.Options)
	}{
		{"orders.xlsx", "orders.golden.json", file.KindOrders, nil},
		{"orders.xlsx", "orders.golden.json", file.KindOrders, func(o *file.Options) { o.Format = file.FormatXLSX }},
		{"income.xlsx", "income.golden.json", file.KindIncome, nil},
		{"orders-zh.csv", "orders.golden.json", file.KindOrders, nil},
		{"income-zh.csv", "income.golden.json", file.KindIncome, nil},
		{"orders-gbk.csv", "orders.golden.json", file.KindOrders, func(o *file.Options) { o.Encoding = ingest.EncodingGB18030 }},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			opts := testOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			sum, sink := importBytes(t, readTestdata(t, tt.input), opts)
			if want := (file.Summary{Rows: 3, Events: 3, Kind: tt.kind}); sum != want {
				t.Fatalf("summary: got %+v, want %+v (dead letters %+v)", sum, want, sink.dead)
			}
			if got, want := goldenJSON(t, sink.events), readTestdata(t, tt.golden); !bytes.Equal(got, want) {
				t.Fatalf("events differ from %s:\ngot:\n%s", tt.golden, got)
			}
		})
	}
}

// TestXLSXRowNumbers: a bad workbook row is dead-lettered as "line <row
// number in the sheet>", with the header and the row as CSV.
func TestXLSXRowNumbers(t *testing.T) {
	data := readTestdata(t, "income.xlsx")
	opts := testOptions()
	opts.Check = func(e domain.Event) error {
		if e.(*domain.IncomeRecorded).HouseholdID == "H-0001" {
			return errors.New("refused for the test")
		}
		return nil
	}
	sum, sink := importBytes(t, data, opts)
	if sum.Rejected != 1 || sum.Events != 2 {
		t.Fatalf("summary %+v, want 1 rejected, 2 events", sum)
	}
	dl := sink.dead[0]
	wantRaw := "household_id,kind,amount,enterprise_id,occurred_at,reference\nH-0001,procurement,1260.5,E-HELPER,2020-05-03 09:30:00,HS-PO-20200503-0007"
	if dl.Source != "test:4" || !strings.HasPrefix(dl.Reason, "line 4: income.recorded: refused for the test") || string(dl.Raw) != wantRaw {
		t.Fatalf("dead letter %s %q raw %q; want test:4, line 4, raw %q", dl.Source, dl.Reason, dl.Raw, wantRaw)
	}
}

// TestBadWorkbook: a file that says xlsx and is not one is refused whole.
func TestBadWorkbook(t *testing.T) {
	for name, data := range map[string][]byte{
		"a CSV":        readTestdata(t, "orders.csv"),
		"a cut zip":    readTestdata(t, "orders.xlsx")[:2000],
		"zip, no xlsx": []byte("PK\x03\x04not really"),
	} {
		t.Run(name, func(t *testing.T) {
			opts := testOptions()
			opts.Format = file.FormatXLSX
			sink := &collectingSink{}
			_, err := file.Import(context.Background(), bytes.NewReader(data), -1, opts, sink)
			if !errors.Is(err, file.ErrBadWorkbook) || len(sink.events)+len(sink.dead) != 0 {
				t.Fatalf("got %v with %d events, %d dead letters; want ErrBadWorkbook and nothing", err, len(sink.events), len(sink.dead))
			}
		})
	}
}

// TestEncodingRefused: a GBK file read as UTF-8 is refused whole, naming
// the line and GB18030/GBK; nothing is appended or dead-lettered. Declared,
// it reads exactly (Chinese text in a carried field included).
func TestEncodingRefused(t *testing.T) {
	for _, name := range []string{"orders-gbk.csv", "income-gbk.csv"} {
		t.Run(name, func(t *testing.T) {
			sink := &collectingSink{}
			data := readTestdata(t, name)
			sum, err := file.Import(context.Background(), bytes.NewReader(data), int64(len(data)), testOptions(), sink)
			if !errors.Is(err, ingest.ErrEncoding) || !strings.Contains(err.Error(), "line 1 is not utf-8 text; it looks like GB18030/GBK") ||
				!strings.Contains(err.Error(), "--encoding gb18030") {
				t.Fatalf("got %v, want ErrEncoding naming line 1, GB18030/GBK and --encoding gb18030", err)
			}
			if sum != (file.Summary{}) || len(sink.events)+len(sink.dead) != 0 {
				t.Fatalf("summary %+v, %d events, %d dead letters; want nothing imported", sum, len(sink.events), len(sink.dead))
			}
		})
	}
	t.Run("a plain reader stops at the first bad line", func(t *testing.T) {
		data := append([]byte("platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n"+paidRow+"\n"), readTestdata(t, "orders-gbk.csv")...)
		sink := &collectingSink{}
		_, err := file.Import(context.Background(), struct{ io.Reader }{bytes.NewReader(data)}, -1, testOptions(), sink)
		if !errors.Is(err, ingest.ErrEncoding) || !strings.Contains(err.Error(), "line 3 is not utf-8") {
			t.Fatalf("got %v, want ErrEncoding at line 3", err)
		}
	})
	t.Run("declared", func(t *testing.T) {
		opts := testOptions()
		opts.Encoding = ingest.EncodingGB18030
		_, gb := importBytes(t, readTestdata(t, "income-gbk.csv"), opts)
		_, twin := importBytes(t, readTestdata(t, "income-gbk-twin.csv"), testOptions())
		if got, want := goldenJSON(t, gb.events), goldenJSON(t, twin.events); !bytes.Equal(got, want) {
			t.Fatalf("GB18030 events differ from the UTF-8 twin's:\n%s\nwant\n%s", got, want)
		}
		if ref := gb.events[1].(*domain.IncomeRecorded).Reference; ref != "青溪收购单-0007" {
			t.Fatalf("reference %q, want 青溪收购单-0007", ref)
		}
	})
}

// TestTimeSpellings: the ways offices and Excel write a time, all China
// time; an Excel serial number is a date only in an xlsx date cell.
func TestTimeSpellings(t *testing.T) {
	want := func(s string) time.Time { v, _ := time.ParseInLocation(time.DateTime, s, domain.ChinaTime); return v }
	tests := []struct {
		spelled string
		want    time.Time // zero: rejected
	}{
		{"2020-05-02T10:21:00+08:00", want("2020-05-02 10:21:00")},
		{"2020-05-02T02:21:00Z", want("2020-05-02 10:21:00")},
		{"2020-05-02 10:21:00", want("2020-05-02 10:21:00")},
		{"2020-05-02 10:21", want("2020-05-02 10:21:00")},
		{"2020/5/2 10:21", want("2020-05-02 10:21:00")},
		{"2020/05/02 10:21:07", want("2020-05-02 10:21:07")},
		{"2020/5/2 9:05", want("2020-05-02 09:05:00")},
		{"2020-5-2", want("2020-05-02 00:00:00")},
		{"2020/5/2", want("2020-05-02 00:00:00")},
		{"43953.43125", time.Time{}},
		{"2020/13/2 10:00", time.Time{}},
		{"2020/5/2 25:00", time.Time{}},
		{"5/2/2020 10:00", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.spelled, func(t *testing.T) {
			data := "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\nfile,832-1,1,SKU-A,1,1.00,paid," + tt.spelled + "\n"
			sum, sink := importBytes(t, []byte(data), testOptions())
			if tt.want.IsZero() {
				if sum.Rejected != 1 || !strings.Contains(sink.dead[0].Reason, "occurred_at") {
					t.Fatalf("summary %+v: want the row rejected for its occurred_at", sum)
				}
				return
			}
			if sum.Events != 1 {
				t.Fatalf("summary %+v, dead letters %+v: want one event", sum, sink.dead)
			}
			if got := sink.events[0].(*domain.OrderPaid).PaidAt; !got.Equal(tt.want) || got.Location() != domain.ChinaTime {
				t.Fatalf("paid at %v, want %v China time", got, tt.want)
			}
		})
	}
}

// TestDuplicatesAndRefunds: an exact duplicate row counts once (not
// appended again); a refund beyond what the file paid for its line is
// rejected; Rows == Events + Duplicates + Rejected.
func TestDuplicatesAndRefunds(t *testing.T) {
	data := "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n" +
		"832,A,1,S,1,10.00,paid,2020-05-02 10:00:00\n" +
		"832,A,1,S,1,10.00,paid,2020-05-02 10:00:00\n" + // duplicate
		"832,A,1,S,,6.00,refunded,2020-05-03 10:00:00\n" +
		"832,A,1,S,,6.00,refunded,2020-05-03 10:00:00\n" + // duplicate: not a second refund
		"832,A,1,S,,4.01,refunded,2020-05-04 10:00:00\n" + // 10.01 > 10.00
		"832,A,1,S,,4.00,refunded,2020-05-04 10:00:00\n" + // exactly the rest
		"832,B,1,S,,1.00,refunded,2020-05-04 10:00:00\n" + // paid elsewhere: not checked
		"832,A,1,S,2,10.00,paid,2020-05-02 10:00:00\n" // same id, other content: not a duplicate (conflicts are the projector's)
	sum, sink := importBytes(t, []byte(data), testOptions())
	if want := (file.Summary{Rows: 8, Events: 5, Duplicates: 2, Rejected: 1, Kind: file.KindOrders}); sum != want {
		t.Fatalf("summary %+v, want %+v", sum, want)
	}
	if r := sink.dead[0].Reason; !strings.HasPrefix(r, "line 6: ") || !strings.Contains(r, "would total 10.01 yuan, more than the 10.00 paid on line 2") {
		t.Fatalf("reason %q, want line 6 refused naming 10.01 over the 10.00 of line 2", r)
	}
}

// TestIDs: ids are bounded, and a long id Excel turned into a rounded
// number is refused rather than keying a different order.
func TestIDs(t *testing.T) {
	header := "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id\n"
	tests := []struct{ row, want string }{
		{"douyin,6.82394112078122E+18,1,S,1,1.00,paid,2020-05-02 10:00:00,", `order_id "6.82394112078122E+18": a number Excel rounded`},
		{"douyin,1,1,S,1,1.00,paid,2020-05-02 10:00:00,6.8239411207812198e18", `room_id "6.8239411207812198e18": a number Excel rounded`},
		{"douyin," + strings.Repeat("9", 129) + ",1,S,1,1.00,paid,2020-05-02 10:00:00,", "order_id: longer than 128 bytes"},
	}
	for _, tt := range tests {
		sum, sink := importBytes(t, []byte(header+tt.row+"\n"), testOptions())
		if sum.Rejected != 1 || !strings.Contains(sink.dead[0].Reason, tt.want) {
			t.Errorf("%s: summary %+v %v, want rejected saying %q", tt.row, sum, sink.dead, tt.want)
		}
	}
	sum, _ := importBytes(t, []byte(header+"douyin,"+strings.Repeat("9", 128)+",1,S,1,1.00,paid,2020-05-02 10:00:00,6823941120781224715\n"), testOptions())
	if sum.Events != 1 {
		t.Errorf("a 128-byte order id and a 19-digit room id: %+v, want accepted", sum)
	}
}

// TestJSONLChineseKeys: JSONL objects may use the Chinese column names too,
// the kind told from them.
func TestJSONLChineseKeys(t *testing.T) {
	data := `{"平台":"线下","订单号":"832-20200502-000117","行号":"1","商品编码":"832-FLW-0107","数量":3,"金额":"267.00","事件":"支付","时间":"2020/5/2 10:21"}` + "\n"
	sum, sink := importBytes(t, []byte(data), testOptions())
	if sum.Events != 1 || sum.Kind != file.KindOrders {
		t.Fatalf("summary %+v, dead letters %+v; want one order event", sum, sink.dead)
	}
	if _, golden := importBytes(t, readTestdata(t, "orders.csv"), testOptions()); sink.events[0].ID() != golden.events[0].ID() {
		t.Fatalf("event %+v, want the samples' first", sink.events[0])
	}
}

// TestRefundIDs: a refund row's id names the refund, not its amount — a
// re-import correcting the amount names the same refund (the projector
// lists the conflict) — and a refund_id column (the platform's after-sale
// number) is the id as sent, so the platform's push and the file agree.
func TestRefundIDs(t *testing.T) {
	refunds := func(data string) []*domain.RefundSucceeded {
		t.Helper()
		sum, sink := importBytes(t, []byte(data), testOptions())
		if sum.Rejected != 0 {
			t.Fatalf("summary %+v, dead letters %v", sum, sink.dead)
		}
		var out []*domain.RefundSucceeded
		for _, ev := range sink.events {
			if r, ok := ev.(*domain.RefundSucceeded); ok {
				out = append(out, r)
			}
		}
		return out
	}
	header := "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n"
	first := refunds(header + "832,A,1,S,,6.00,refunded,2020-05-03 10:00:00\n")
	corrected := refunds(header + "832,A,1,S,,5.00,refunded,2020-05-03T02:00:00Z\n")
	if len(first) != 1 || len(corrected) != 1 {
		t.Fatalf("refunds %v and %v, want one each", first, corrected)
	}
	if first[0].RefundID != "file:1:2020-05-03T10:00:00+08:00" || corrected[0].RefundID != first[0].RefundID || corrected[0].ID() != first[0].ID() {
		t.Errorf("refund ids %q (event %s) and corrected %q (event %s), want one id without the amount",
			first[0].RefundID, first[0].ID(), corrected[0].RefundID, corrected[0].ID())
	}
	if first[0].AmountFen != 600 || corrected[0].AmountFen != 500 {
		t.Errorf("amounts %d and %d fen, want 600 and 500", first[0].AmountFen, corrected[0].AmountFen)
	}
	numbered := refunds("平台,订单号,行号,商品编码,数量,金额,事件,时间,售后单号\n" +
		"douyin,6823941120781224715,6823941120781224716,S,,6.00,退款,2020-05-03 10:00:00,7065106405339121446\n")
	if len(numbered) != 1 || numbered[0].RefundID != "7065106405339121446" {
		t.Errorf("a row with 售后单号: %+v, want refund id 7065106405339121446", numbered)
	}
}
