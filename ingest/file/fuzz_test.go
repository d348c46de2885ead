package file_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
	"github.com/loquat-dev/loquat/ingest/file"
)

const (
	ordersHeader = "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at,room_id"
	incomeHeader = "household_id,kind,amount,enterprise_id,occurred_at,reference"
)

// wholeFileErrors are the only errors an in-memory import may return.
var wholeFileErrors = []error{file.ErrBadHeader, ingest.ErrEncoding, file.ErrBadWorkbook}

func isWholeFileError(err error) bool {
	for _, want := range wholeFileErrors {
		if errors.Is(err, want) {
			return true
		}
	}
	return false
}

// FuzzImport: any input is imported without panicking; unless it is refused
// whole, every non-blank data line becomes exactly one event, a duplicate or
// one dead letter, and only valid events reach the sink.
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
			if !isWholeFileError(err) {
				t.Fatalf("only a whole-file refusal may fail an in-memory import, got %v", err)
			}
			if !errors.Is(err, file.ErrBadWorkbook) && (sum != (file.Summary{}) || len(sink.events)+len(sink.dead) != 0) {
				t.Fatalf("a refused file still imported %+v", sum)
			}
			return
		}
		if sum.Events+sum.Duplicates+sum.Rejected != sum.Rows || len(sink.events) != sum.Events || len(sink.dead) != sum.Rejected {
			t.Fatalf("summary %+v with %d events and %d dead letters: rows must be events, duplicates or rejections", sum, len(sink.events), len(sink.dead))
		}
		if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
			if want := dataRows(data); sum.Rows != want {
				t.Fatalf("summary %+v, want %d rows", sum, want)
			}
		}
		checkEvents(t, sink)
	})
}

// checkEvents holds what every import must give: valid events, and dead
// letters whose reason names the line of their source.
func checkEvents(t *testing.T, sink *collectingSink) {
	t.Helper()
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

// sampleRows are the data lines of the sample files (orders.csv and
// income.csv, shared/samples' files, read from sampledata).
func sampleRows(f *testing.F, name string) []string {
	lines := strings.Split(strings.TrimSpace(string(readTestdata(f, name))), "\n")
	return lines[1:]
}

// exactFen reads a yuan amount with math/big, independently of
// domain.ParseYuan: the fen it stands for, if it is a whole number of fen.
func exactFen(s string) (domain.Fen, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.Trim(s, "0123456789.+-") != "" || strings.Count(s, ".") > 1 {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return domain.Fen(r.Num().Int64()), true
}

// checkMoney: every appended amount is exactly the fen of an amount the
// input wrote, payments and income are not negative, refunds positive, and
// no line's refunds after its payment in the file exceed that payment.
func checkMoney(t *testing.T, amounts []string, events []domain.Event) {
	t.Helper()
	written := map[domain.Fen]bool{}
	for _, a := range amounts {
		if fen, ok := exactFen(a); ok {
			written[fen] = true
		}
	}
	type line struct{ platform, order, id string }
	paid := map[line]domain.Fen{}
	refunded := map[line]domain.Fen{}
	check := func(fen domain.Fen, what string) {
		if !written[fen] {
			t.Fatalf("%s of %d fen: no row wrote that amount (amounts %q)", what, fen, amounts)
		}
	}
	for _, e := range events {
		switch e := e.(type) {
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				check(l.AmountFen, "payment")
				if l.AmountFen < 0 {
					t.Fatalf("negative payment %d", l.AmountFen)
				}
				k := line{e.Platform, e.OrderID, l.LineID}
				if _, ok := paid[k]; !ok {
					paid[k] = l.AmountFen
				}
			}
		case *domain.RefundSucceeded:
			check(e.AmountFen, "refund")
			k := line{e.Platform, e.OrderID, e.LineID}
			if p, ok := paid[k]; ok {
				if refunded[k] += e.AmountFen; refunded[k] > p || e.AmountFen <= 0 {
					t.Fatalf("line %v: refunds %d fen after a payment of %d", k, refunded[k], p)
				}
			}
		case *domain.IncomeRecorded:
			check(e.AmountFen, "income")
			if e.AmountFen <= 0 {
				t.Fatalf("income of %d fen", e.AmountFen)
			}
		}
	}
}

// csvAmounts reads the amount column of each CSV line with encoding/csv.
func csvAmounts(header string, lines ...string) []string {
	col := 5
	if header == incomeHeader {
		col = 2
	}
	var out []string
	for _, l := range lines {
		r := csv.NewReader(strings.NewReader(l))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		for {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if col < len(rec) {
				out = append(out, rec[col])
			}
		}
	}
	return out
}

// FuzzCSVRow: two CSV rows of a kind after its header (seeded with the
// samples' rows, a payment before its refund among them): no panic, rows
// accounted for, events valid, money exact and refunds within payments.
func FuzzCSVRow(f *testing.F) {
	orders, income := sampleRows(f, "orders.csv"), sampleRows(f, "income.csv")
	f.Add(false, orders[0], orders[2])
	f.Add(false, orders[1], orders[1])
	f.Add(false, orders[0], strings.Replace(orders[2], "89.00", "267.01", 1))
	f.Add(true, income[0], income[1])
	f.Add(true, income[2], strings.Replace(income[2], "600.00", "1.5e2", 1))
	f.Fuzz(func(t *testing.T, isIncome bool, row1, row2 string) {
		header := ordersHeader
		if isIncome {
			header = incomeHeader
		}
		data := []byte(header + "\n" + row1 + "\n" + row2 + "\n")
		sum, sink := importRows(t, data, testOptions())
		if sum == nil {
			return
		}
		checkMoney(t, csvAmounts(header, row1, row2), sink.events)
	})
}

// FuzzJSONLRow: the same with JSONL rows (seeded with the samples' rows as
// objects, amounts as strings and as JSON numbers).
func FuzzJSONLRow(f *testing.F) {
	for _, name := range []string{"orders.jsonl", "income.jsonl"} {
		lines := strings.Split(strings.TrimSpace(string(readTestdata(f, name))), "\n")
		f.Add(lines[0], lines[len(lines)-1])
		f.Add(lines[0], strings.Replace(lines[0], `"amount":"`, `"amount":`, 1))
	}
	f.Add(`{"platform":"832","order_id":"A","line_no":1,"sku_id":"S","quantity":1,"amount":89.9,"event":"paid","occurred_at":"2020/5/2 10:00"}`,
		`{"platform":"832","order_id":"A","line_no":1,"amount":"90.00","event":"退款","occurred_at":"2020/5/3"}`)
	f.Fuzz(func(t *testing.T, row1, row2 string) {
		data := []byte(row1 + "\n" + row2 + "\n")
		opts := testOptions()
		opts.Format = file.FormatJSONL
		sum, sink := importRows(t, data, opts)
		if sum == nil {
			return
		}
		var amounts []string
		for _, l := range strings.Split(string(data), "\n") {
			var obj map[string]json.RawMessage
			if json.Unmarshal([]byte(l), &obj) == nil {
				for k, v := range obj {
					if k == "amount" || k == "金额" {
						amounts = append(amounts, strings.Trim(string(v), `"`))
					}
				}
			}
		}
		checkMoney(t, amounts, sink.events)
	})
}

// FuzzXLSXRow: a workbook of one data row written with excelize (cells
// typed as numbers, dates as serials, the rest as text), seeded with the
// samples' rows: no panic, the row accounted for, the event valid and its
// amount exactly what the cell stores.
func FuzzXLSXRow(f *testing.F) {
	for _, r := range sampleRows(f, "orders.csv") {
		c := strings.Split(r, ",")
		f.Add(false, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], 0.0, true)
	}
	for _, r := range sampleRows(f, "income.csv") {
		c := strings.Split(r, ",")
		f.Add(true, c[0], c[1], c[2], c[3], "", c[5], "", "", 43954.395833333336, false)
	}
	f.Fuzz(func(t *testing.T, isIncome bool, c0, c1, c2, c3, c4, c5, c6, c7 string, serial float64, amountAsNumber bool) {
		header, cells, timeCol, amountCol := strings.Split(ordersHeader, ","), []any{c0, c1, c2, c3, c4, c5, c6, c7}, 7, 5
		if isIncome {
			header, cells, timeCol, amountCol = strings.Split(incomeHeader, ","), []any{c0, c1, c2, c3, c4, c5}, 4, 2
		}
		if serial > 0 && serial < 2958466 { // Excel's dates end in 9999
			cells[timeCol] = serial
		}
		if v, ok := exactFen(c2); amountAsNumber && ok {
			cells[amountCol] = float64(v) / 100 // as Excel holds a typed amount
		}
		wb := excelize.NewFile()
		headerCells := make([]any, len(header))
		for i, h := range header {
			headerCells[i] = h
		}
		if err := wb.SetSheetRow("Sheet1", "A1", &headerCells); err != nil {
			t.Skip(err)
		}
		if err := wb.SetSheetRow("Sheet1", "A2", &cells); err != nil {
			t.Skip(err) // a value excelize will not write (too long, bad XML text)
		}
		stored, _ := wb.GetCellValue("Sheet1", string(rune('A'+amountCol))+"2", excelize.Options{RawCellValue: true})
		buf, err := wb.WriteToBuffer()
		if err != nil {
			t.Skip(err)
		}
		sum, sink := importRows(t, buf.Bytes(), testOptions())
		if sum == nil {
			return
		}
		if sum.Rows > 1 {
			t.Fatalf("one data row gave %+v", *sum)
		}
		checkMoney(t, []string{stored}, sink.events)
	})
}

// importRows imports data and checks the accounting; it returns a nil
// summary when the file was refused whole (allowed for fuzzed headers).
func importRows(t *testing.T, data []byte, opts file.Options) (*file.Summary, *collectingSink) {
	t.Helper()
	sink := &collectingSink{}
	opts.BatchSize = 1
	sum, err := file.Import(context.Background(), bytes.NewReader(data), int64(len(data)), opts, sink)
	if err != nil {
		if !isWholeFileError(err) {
			t.Fatalf("in-memory import failed: %v", err)
		}
		return nil, sink
	}
	if sum.Events+sum.Duplicates+sum.Rejected != sum.Rows || len(sink.events) != sum.Events || len(sink.dead) != sum.Rejected {
		t.Fatalf("summary %+v with %d events and %d dead letters: rows must be events, duplicates or rejections", sum, len(sink.events), len(sink.dead))
	}
	checkEvents(t, sink)
	return &sum, sink
}
