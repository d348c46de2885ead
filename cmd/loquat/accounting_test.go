package main_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/internal/samples"
)

// rowCase is a kind of row the accounting test writes, and what it must
// become: an event (want ""), a duplicate of the row before it ("dup"), or
// a rejection whose reason holds want.
type rowCase struct {
	want string
	row  func(i int) string
}

var orderCases = []rowCase{
	{"", func(i int) string {
		return fmt.Sprintf("832,A-%d,1,832-FLW-0107,2,%d.%02d,paid,2020-05-02 10:%02d:00,", i, 10+i%90, i%100, i%60)
	}},
	{"", func(i int) string { return fmt.Sprintf("file,F-%d,1,832-FLW-0107,1,89.00,支付,2020/5/2 10:21,", i) }},
	{"dup", nil},
	{`amount "1.001": bad amount`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.001,paid,2020-05-02 10:00:00,", i) }},
	{`amount "abc": bad amount`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,abc,paid,2020-05-02 10:00:00,", i) }},
	{"sku_id: missing", func(i int) string { return fmt.Sprintf("832,B-%d,1,,1,1.00,paid,2020-05-02 10:00:00,", i) }},
	{`occurred_at "2020-05-32 10:00:00": not RFC 3339`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,paid,2020-05-32 10:00:00,", i) }},
	{`event "shipped": unknown`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,shipped,2020-05-02 10:00:00,", i) }},
	{"has 7 fields, the header has 9", func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,paid", i) }},
	{`event "cancelled": not supported in files`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,cancelled,2020-05-02 10:00:00,", i) }},
	{`quantity "0": not a positive integer`, func(i int) string { return fmt.Sprintf("832,B-%d,1,S,0,1.00,paid,2020-05-02 10:00:00,", i) }},
	{"platform: missing", func(i int) string { return fmt.Sprintf(",B-%d,1,S,1,1.00,paid,2020-05-02 10:00:00,", i) }},
	{"unbalanced quotes", func(i int) string { return fmt.Sprintf("832,\"B-%d,1,S,1,1.00,paid,2020-05-02 10:00:00,", i) }},
	{"a refund must be more than zero", func(i int) string { return fmt.Sprintf("832,B-%d,1,S,,0.00,refunded,2020-05-03 10:00:00,", i) }},
	{"a payment cannot be negative", func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,-1.00,paid,2020-05-02 10:00:00,", i) }},
	{"is before 2015-01-01 00:00:00", func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,paid,1900-01-01 10:00:00,", i) }},
	{"is in the future", func(i int) string { return fmt.Sprintf("832,B-%d,1,S,1,1.00,paid,2099-01-01 10:00:00,", i) }},
	{`platform "taobao" is unknown`, func(i int) string { return fmt.Sprintf("taobao,B-%d,1,S,1,1.00,paid,2020-05-02 10:00:00,", i) }},
	{"a number Excel rounded", func(i int) string {
		return fmt.Sprintf("douyin,%d.12345E+18,1,S,1,1.00,paid,2020-05-02 10:00:00,", 1+i%9)
	}},
	{"order_id: longer than 128 bytes", func(i int) string { return "832," + strings.Repeat("L", 129) + ",1,S,1,1.00,paid,2020-05-02 10:00:00," }},
}

// refundRows pays a line and refunds part of it, then refunds more than
// is left: two events and a rejection.
func refundRows(i int) (rows []string, wants []string) {
	return []string{
		fmt.Sprintf("832,P-%d,1,832-FLW-0107,1,50.00,paid,2020-05-02 10:00:00,", i),
		fmt.Sprintf("832,P-%d,1,832-FLW-0107,,20.00,refunded,2020-05-03 10:00:00,", i),
		fmt.Sprintf("832,P-%d,1,832-FLW-0107,,30.01,refunded,2020-05-04 10:00:00,", i),
	}, []string{"", "", fmt.Sprintf("refunds of order P-%d line 1 would total 50.01 yuan, more than the 50.00 paid", i)}
}

var incomeCases = []rowCase{
	{"", func(i int) string {
		return fmt.Sprintf("H-000%d,wage,%d.50,E-GARDEN,2020-05-31 18:00:00,PAY-%d", 1+i%5, 1+i%500, i)
	}},
	{"dup", nil},
	{`kind "bonus": unknown`, func(i int) string { return fmt.Sprintf("H-0001,bonus,1.00,E-GARDEN,2020-05-31 18:00:00,X-%d", i) }},
	{`amount "0": must be more than zero`, func(i int) string { return fmt.Sprintf("H-0001,wage,0,E-GARDEN,2020-05-31 18:00:00,X-%d", i) }},
	{`household "H-9999" is not registered`, func(i int) string { return fmt.Sprintf("H-9999,wage,1.00,E-GARDEN,2020-05-31 18:00:00,X-%d", i) }},
	{`enterprise "E-NONE" is not registered`, func(i int) string { return fmt.Sprintf("H-0001,wage,1.00,E-NONE,2020-05-31 18:00:00,X-%d", i) }},
	{"household_id looks like an ID-card number", func(i int) string {
		return fmt.Sprintf("11010519491231%04d,wage,1.00,E-GARDEN,2020-05-31 18:00:00,X-%d", i%10000, i)
	}},
	{"occurred_at 1900-05-31 18:00:00 is before", func(i int) string { return fmt.Sprintf("H-0001,wage,1.00,E-GARDEN,1900-05-31 18:00:00,X-%d", i) }},
}

// mixedFile writes n rows drawn from cases (and, for orders, refund
// sequences) and returns each data line's expected outcome by line number.
func mixedFile(r *rand.Rand, header string, cases []rowCase, withRefunds bool, n int) (string, map[int]string) {
	var b strings.Builder
	b.WriteString(header)
	want := map[int]string{}
	line, prev := 1, ""
	add := func(row, outcome string) {
		line++
		b.WriteString(row + "\n")
		want[line] = outcome
		prev = row
	}
	for i := 0; line-1 < n; i++ {
		if withRefunds && r.IntN(10) == 0 {
			rows, wants := refundRows(i)
			for j := range rows {
				add(rows[j], wants[j])
			}
			continue
		}
		c := cases[r.IntN(len(cases))]
		switch {
		case c.want == "dup" && prev != "" && want[line] == "":
			add(prev, "dup")
		case c.want == "dup":
		default:
			add(c.row(i), c.want)
		}
	}
	return b.String(), want
}

// TestImportAccountsForEveryRow imports thousands of mixed rows — valid
// orders and refunds, income, exact duplicates, bad rows of every reject
// reason — through the built binary into a real event log: rows in =
// events appended + duplicates + rejected, and every rejected row's reason
// is in the dead letters under the file's name and its line.
func TestImportAccountsForEveryRow(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	run(t, nil, "registry", "load", "--data-dir", data, writeFile(t, filepath.Join(dir, "registry.json"), samples.File("registry.json")))
	r := rand.New(rand.NewPCG(12, 34))
	ordersCSV, ordersWant := mixedFile(r, ordersHeader, orderCases, true, 4000)
	incomeCSV, incomeWant := mixedFile(r, "household_id,kind,amount,enterprise_id,occurred_at,reference\n", incomeCases, false, 2000)
	for _, f := range []struct {
		name string
		csv  string
		want map[int]string
	}{{"mixed-orders.csv", ordersCSV, ordersWant}, {"mixed-income.csv", incomeCSV, incomeWant}} {
		t.Run(f.name, func(t *testing.T) {
			eventsBefore, deadBefore := logCounts(t, data)
			path := writeFile(t, filepath.Join(dir, f.name), []byte(f.csv))
			out, code := runIn(t, dir, "import", "--data-dir", data, path)
			var counted, dups, rejected int
			for _, w := range f.want {
				switch w {
				case "":
					counted++
				case "dup":
					dups++
				default:
					rejected++
				}
			}
			summary := fmt.Sprintf("%d rows, %d events appended, %d duplicates, %d rejected", len(f.want), counted, dups, rejected)
			if code != 1 || !strings.Contains(out, summary) || counted == 0 || dups == 0 || rejected == 0 {
				t.Fatalf("exit %d, want 1 and %q:\n%.2000s", code, summary, out)
			}
			eventsAfter, deadAfter := logCounts(t, data)
			if got := eventsAfter - eventsBefore; got != int64(counted) {
				t.Errorf("%d events in the log, want %d", got, counted)
			}
			dead := deadAfter[len(deadBefore):]
			if len(dead) != rejected {
				t.Fatalf("%d dead letters, want %d", len(dead), rejected)
			}
			seen := map[int]bool{}
			for _, dl := range dead {
				line, err := strconv.Atoi(strings.TrimPrefix(dl.Source, "file:"+f.name+":"))
				if err != nil {
					t.Fatalf("dead letter source %q is not file:%s:<line>", dl.Source, f.name)
				}
				want := f.want[line]
				if want == "" || want == "dup" || !strings.Contains(dl.Reason, want) || !strings.HasPrefix(dl.Reason, fmt.Sprintf("line %d: ", line)) {
					t.Errorf("line %d: dead letter %q, want %q", line, dl.Reason, want)
				}
				seen[line] = true
			}
			for line, want := range f.want {
				if want != "" && want != "dup" && !seen[line] {
					t.Errorf("line %d: rejected for %q but no dead letter", line, want)
				}
			}
		})
	}
}
