package file_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/file"
)

// TestBadRows: every bad row becomes one dead letter whose reason names the
// line, the column and the problem, with the row's exact bytes; the good rows
// of the same file all become events.
func TestBadRows(t *testing.T) {
	tests := []struct {
		input      string
		wantSum    file.Summary
		wantReason map[int]string // line number -> part of the reason after "line N: "
		checkGood  func(t *testing.T, events []domain.Event)
	}{
		{
			input:   "bad-orders.csv",
			wantSum: file.Summary{Rows: 18, Events: 3, Rejected: 15, Kind: file.KindOrders},
			wantReason: map[int]string{
				2:  `amount "12.345": bad amount: "12.345" has more than two decimals`,
				4:  `amount "abc": bad amount: "abc" is not a decimal number`,
				5:  `sku_id: missing`,
				6:  `occurred_at "2020-05-32 10:00:00": not RFC 3339 with an offset`,
				7:  `event "shipped": unknown (want paid or refunded)`,
				8:  `has 7 fields, the header has 9`,
				11: `event "cancelled": not supported in files`,
				12: `quantity "0": not a positive integer`,
				13: `platform: missing`,
				14: `unbalanced quotes`,
				15: `amount "0.00": a refund must be more than zero`,
				16: `occurred_at "2020-05-02T10:33:00": not RFC 3339 with an offset`,
				17: `amount "-1.00": a payment cannot be negative`,
				18: `bad CSV at byte 19: extraneous or missing " in quoted-field`,
				19: `bad CSV at byte 17: bare " in non-quoted-field`,
			},
			checkGood: func(t *testing.T, events []domain.Event) {
				paid := events[0].(*domain.OrderPaid)
				if l := paid.Lines[0]; paid.OrderID != "832-2" || l.AmountFen != 8900 || l.Quantity != 2 ||
					l.Livestream == nil || l.Livestream.RoomID != "6823941120781224715" {
					t.Errorf("line 3: got %+v %+v, want 832-2 paid 8900 fen, qty 2, room 6823941120781224715", paid, l)
				}
				refund := events[1].(*domain.RefundSucceeded)
				if refund.OrderID != "832-2" || refund.AmountFen != 500 || domain.Minute(refund.RefundedAt) != "2020-05-03T09:00" {
					t.Errorf("line 10: got %+v, want 832-2 refunded 500 fen at 2020-05-03 09:00 China time", refund)
				}
				// After rows csv.Reader refused, the reader is still in step.
				if quoted := events[2].(*domain.OrderPaid); quoted.OrderID != "832-17" || quoted.Lines[0].SKUID != `SKU "A"` {
					t.Errorf("line 20: got %+v, want 832-17 with sku_id SKU \"A\"", quoted)
				}
			},
		},
		{
			input:   "bad-income.csv",
			wantSum: file.Summary{Rows: 5, Events: 1, Rejected: 4, Kind: file.KindIncome},
			wantReason: map[int]string{
				2: `kind "bonus": unknown (want one of procurement (收购款, `,
				4: `amount "0": must be more than zero`,
				5: `household_id: missing; enterprise_id: missing; reference: missing`,
				6: `amount "1.5e2": bad amount: `,
			},
			checkGood: func(t *testing.T, events []domain.Event) {
				if r := events[0].(*domain.IncomeRecorded); r.HouseholdID != "H-0002" || r.AmountFen != 10000 {
					t.Errorf("line 3: got %+v, want H-0002 10000 fen", r)
				}
			},
		},
		{
			input:   "bad-orders.jsonl",
			wantSum: file.Summary{Rows: 11, Events: 1, Rejected: 10, Kind: file.KindOrders},
			wantReason: map[int]string{
				1:  `cannot tell orders from income`,
				2:  `not a JSON object: invalid character 'o' in literal null`,
				3:  `amount "12.345": bad amount: "12.345" has more than two decimals`,
				4:  `amount "1.5e2": bad amount: `,
				5:  `quantity: must be a string or a number, not a boolean`,
				6:  `unknown key "amout" (the orders columns are platform,order_id,`,
				7:  `quantity "2.0": not a positive integer`,
				8:  `not a JSON object: invalid character 't' after top-level value`,
				9:  `not a JSON object: null`,
				10: `unknown key "enterprise_id"`,
			},
			checkGood: func(t *testing.T, events []domain.Event) {
				if p := events[0].(*domain.OrderPaid); p.OrderID != "J-7" || p.Lines[0].AmountFen != 9990 {
					t.Errorf("line 11: got %+v, want J-7 paid 9990 fen (JSON number 99.9 read exactly)", p)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			data := readTestdata(t, tt.input)
			sum, sink := importBytes(t, data, testOptions())
			if sum != tt.wantSum {
				t.Fatalf("summary: got %+v, want %+v", sum, tt.wantSum)
			}
			lines := bytes.Split(data, []byte("\n"))
			got := map[int]domain.DeadLetter{}
			for _, dl := range sink.dead {
				var n int
				if _, err := fmt.Sscanf(dl.Source, "test:%d", &n); err != nil {
					t.Fatalf("dead letter source %q is not test:<line>", dl.Source)
				}
				got[n] = dl
			}
			for n, want := range tt.wantReason {
				dl, ok := got[n]
				if !ok {
					t.Errorf("line %d: no dead letter, want one saying %q", n, want)
					continue
				}
				prefix := fmt.Sprintf("line %d: ", n)
				if !strings.HasPrefix(dl.Reason, prefix) || !strings.Contains(dl.Reason, want) {
					t.Errorf("line %d: reason %q, want %q containing %q", n, dl.Reason, prefix, want)
				}
				wantRaw := lines[n-1]
				if !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) { // CSV: the header comes along
					header := bytes.TrimPrefix(bytes.TrimRight(lines[0], "\r"), []byte("\uFEFF"))
					wantRaw = append(append(append([]byte(nil), header...), '\n'), lines[n-1]...)
				}
				if !bytes.Equal(dl.Raw, wantRaw) || !dl.ReceivedAt.Equal(testNow) {
					t.Errorf("line %d: raw %q at %v, want %q at %v", n, dl.Raw, dl.ReceivedAt, wantRaw, testNow)
				}
			}
			if len(got) != len(tt.wantReason) {
				t.Errorf("got %d dead letters, want %d", len(got), len(tt.wantReason))
			}
			for _, e := range sink.events {
				if err := e.Validate(); err != nil {
					t.Errorf("an invalid event reached the sink: %v", err)
				}
			}
			tt.checkGood(t, sink.events)
		})
	}
}

// TestLongLine: a line over 1 MiB is one rejected row, kept cut at 1 MiB;
// the rows after it are read normally. As a first line it is no header.
func TestLongLine(t *testing.T) {
	const limit = 1 << 20
	long := strings.Repeat("x", limit+10)
	header := "platform,order_id,line_no,sku_id,quantity,amount,event,occurred_at\n"
	sum, sink := importBytes(t, []byte(header+long+"\n"+paidRow+"\n"), testOptions())
	if want := (file.Summary{Rows: 2, Events: 1, Rejected: 1, Kind: file.KindOrders}); sum != want {
		t.Fatalf("summary: got %+v, want %+v", sum, want)
	}
	if dl := sink.dead[0]; len(dl.Raw) != len(header)+limit || !strings.HasPrefix(dl.Reason, "line 2: longer than 1048576 bytes") {
		t.Fatalf("dead letter: %d raw bytes, reason %q; want the header and %d bytes, line 2 too long", len(dl.Raw), dl.Reason, limit)
	}
	_, err := file.Import(t.Context(), strings.NewReader(long), -1, testOptions(), &collectingSink{})
	if !errors.Is(err, file.ErrBadHeader) {
		t.Fatalf("a long first line: got %v, want ErrBadHeader", err)
	}
}
