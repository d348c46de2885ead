package douyin_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/ingesttest"
)

// The sample order's messages, with the msg_id left to each case.
const (
	sampleCreatedData = `{"p_id":4981457725012345678,"s_ids":[4981457725012345679],"create_time":1588231200}`
	samplePaidData    = `{"p_id":4981457725012345678,"pay_time":1588231230}`
	sampleRefundData  = `{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":6400,"refund_post_amount":0,"modify_time":1588317630}`
)

// rawElement writes one push element with msgID and tag as raw JSON tokens,
// the way a sender writes them (a number, a string, anything).
func rawElement(tag, msgID, data string) string {
	return `{"tag":` + tag + `,"msg_id":` + msgID + `,"data":` + jsonQuote(data) + `}`
}

// jsonQuote writes s as a JSON string, as data is pushed.
func jsonQuote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestCarriedFieldsAsSent: msg_ids, tags and the fields Loquat only carries
// are opaque. Whatever their form, the sample order's created, paid and
// refund messages give its three events; before, a msg_id that was not a
// 64-bit integer sank the message, and its money with it.
func TestCarriedFieldsAsSent(t *testing.T) {
	long := strings.Repeat("7", 256)
	tests := []struct {
		name                 string
		created, paid, refnd string // push elements
	}{
		{"22-digit msg_ids as numbers",
			rawElement(`"100"`, `7065106405339121446123`, sampleCreatedData),
			rawElement(`"101"`, `7065106405339121446124`, samplePaidData),
			rawElement(`"206"`, `7065106405339121446125`, sampleRefundData)},
		{"22-digit msg_ids as strings",
			rawElement(`"100"`, `"7065106405339121446123"`, sampleCreatedData),
			rawElement(`"101"`, `"7065106405339121446124"`, samplePaidData),
			rawElement(`"206"`, `"7065106405339121446125"`, sampleRefundData)},
		{"msg_ids id:partition:tag",
			rawElement(`"100"`, `"7065106405339121446:0:100"`, sampleCreatedData),
			rawElement(`"101"`, `"7065106405339121446:0:101"`, samplePaidData),
			rawElement(`"206"`, `"7065106405339121446:3:206"`, sampleRefundData)},
		{"msg_ids of 256 bytes, null and absent",
			rawElement(`"100"`, `"`+long+`"`, sampleCreatedData),
			rawElement(`"101"`, `null`, samplePaidData),
			`{"tag":"206","data":` + jsonQuote(sampleRefundData) + `}`},
		{"tags as numbers",
			rawElement(`100`, `"1"`, sampleCreatedData),
			rawElement(`101`, `"2"`, samplePaidData),
			rawElement(`206`, `"3"`, sampleRefundData)},
		{"numbers as strings",
			rawElement(`"100"`, `"1"`, `{"p_id":"4981457725012345678","create_time":"1588231200"}`),
			rawElement(`"101"`, `"2"`, `{"p_id":"4981457725012345678","pay_time":"1588231230"}`),
			rawElement(`"206"`, `"3"`, `{"aftersale_id":"7012345678901234567","p_id":"4981457725012345678","s_id":"4981457725012345679","refund_amount":"6400","refund_post_amount":"0","modify_time":"1588317630"}`)},
		{"unknown fields everywhere",
			`{"tag":"100","msg_id":"1","trace":{"hop":[1,2]},"data":` + jsonQuote(`{"p_id":4981457725012345678,"create_time":1588231200,"new_field":{"x":[1.5e300,"y"]},"shop_id":"1234567"}`) + `,"version":2.1}`,
			`{"msg_id":"2","data":` + jsonQuote(`{"p_id":4981457725012345678,"pay_time":1588231230,"pay_amount":"128.00","buyer":{"nick":null}}`) + `,"tag":"101","extra":true}`,
			rawElement(`"206"`, `"3"`, `{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":6400,"modify_time":1588317630,"reason_text":"坏果","arbitrate":[]}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			b := "[" + tt.created + "," + tt.paid + "," + tt.refnd + "]"
			wantAnswer(t, r.push(t, []byte(b)), http.StatusOK, 0, "success")
			ingesttest.WantNoDeadLetters(t, r.sink)
			wantSampleOrder(t, r.sink.Events())
		})
	}
}

// wantSampleOrder checks the sample order's created, paid and refund
// events, to the fen.
func wantSampleOrder(t *testing.T, events []domain.Event) {
	t.Helper()
	created := ingesttest.Find[*domain.OrderCreated](events)
	paid := ingesttest.Find[*domain.OrderPaid](events)
	refunds := ingesttest.Find[*domain.RefundSucceeded](events)
	if len(events) != 3 || len(created) != 1 || len(paid) != 1 || len(refunds) != 1 {
		t.Fatalf("want the sample order created, paid and refunded, got %d events: %s", len(events), eventsJSON(t, events))
	}
	if created[0].OrderID != "4981457725012345678" || paid[0].OrderID != "4981457725012345678" || refunds[0].OrderID != "4981457725012345678" {
		t.Errorf("order ids: want 4981457725012345678, got %s, %s, %s", created[0].OrderID, paid[0].OrderID, refunds[0].OrderID)
	}
	if len(paid[0].Lines) != 1 || paid[0].Lines[0].AmountFen != 12800 || paid[0].Lines[0].LineID != "4981457725012345679" {
		t.Errorf("paid: want line 4981457725012345679 of 12800 fen, got %+v", paid[0].Lines)
	}
	if refunds[0].AmountFen != 6400 || refunds[0].RefundID != "7012345678901234567" {
		t.Errorf("refund: want 6400 fen, aftersale 7012345678901234567; got %d fen, %s", refunds[0].AmountFen, refunds[0].RefundID)
	}
}

// TestRejectedNamedAsSent: a message that cannot count is a dead letter
// named by its msg_id as sent, in the reason, the answer and the log, and
// the valid messages of the same push still count.
func TestRejectedNamedAsSent(t *testing.T) {
	tooLong := strings.Repeat("8", 257)
	tests := []struct {
		name, bad, named, reasonHas string
	}{
		{"id:partition:tag with bad data", rawElement(`"100"`, `"7065106405339121446:0:100"`, `{"p_id":"x"}`), "7065106405339121446:0:100", "not a non-negative 64-bit integer"},
		{"22-digit number with p_id through float64", rawElement(`"100"`, `7065106405339121446999`, `{"p_id":4.981457725012346e18,"create_time":1588231200}`), "7065106405339121446999", "4.981457725012346e18"},
		{"bad tag", rawElement(`{"t":1}`, `"7065106405339121446:0:77"`, `{}`), "7065106405339121446:0:77", "tag"},
		{"msg_id an object", rawElement(`"100"`, `{"id":"x"}`, sampleCreatedData), `{"id":"x"}`, "msg_id"},
		{"msg_id too long", rawElement(`"100"`, `"`+tooLong+`"`, sampleCreatedData), `"` + strings.Repeat("8", 79) + "…", "257 bytes"},
		{"msg_id not UTF-8", rawElement(`"100"`, "\"70651064\xff\"", sampleCreatedData), strconv.Quote("\"70651064\xff\""), "UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &ingesttest.LogRecords{}
			sim := sampleSim(t)
			r := rigLogging(t, sim, sim, nil, slog.New(logs))
			b := "[" + rawElement(`"100"`, `"7065106405339121446:0:100"`, sampleCreatedData) + "," + tt.bad + "," +
				rawElement(`"101"`, `"7065106405339121446:0:101"`, samplePaidData) + "]"
			wantAnswer(t, r.push(t, []byte(b)), http.StatusBadRequest, 40000, "rejected msg_id "+tt.named)
			dl := ingesttest.OneDeadLetter(t, r.sink)
			if string(dl.Raw) != tt.bad {
				t.Errorf("dead letter raw: want the message as sent %s, got %s", tt.bad, dl.Raw)
			}
			for _, s := range []string{"msg_id " + tt.named, tt.reasonHas} {
				if !strings.Contains(dl.Reason, s) {
					t.Errorf("dead letter reason %q does not name %q", dl.Reason, s)
				}
			}
			if got := logs.Find("douyin message rejected"); len(got) != 1 || got[0]["msg_id"] != tt.named {
				t.Errorf("log: want one \"douyin message rejected\" with the msg_id as sent, got %v", got)
			}
			types := []domain.EventType{}
			for _, e := range r.sink.Events() {
				types = append(types, e.Type())
			}
			if want := []domain.EventType{domain.TypeOrderCreated, domain.TypeOrderPaid}; !equal(types, want) {
				t.Errorf("the valid messages: want %v, got %v", want, types)
			}
		})
	}
}
