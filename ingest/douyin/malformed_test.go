package douyin_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// element is one message as it sits in a push body.
func element(t *testing.T, m douyinsim.Message) string {
	t.Helper()
	b := body(t, m)
	return string(b[1 : len(b)-1])
}

func TestMalformedBodyIsOneDeadLetter(t *testing.T) {
	tests := []struct{ name, body string }{
		{"not JSON", "this is not json"},
		{"empty", ""},
		{"object", `{"tag":"100","msg_id":"1","data":"{}"}`},
		{"null", "null"},
		{"truncated array", `[{"tag":"100","msg_id":"1","data":"{}"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			wantAnswer(t, r.push(t, []byte(tt.body)), 400, 40000, "not a JSON array")
			dead := r.sink.DeadLetters()
			if len(dead) != 1 {
				t.Fatalf("want exactly one dead letter, got %d", len(dead))
			}
			if dead[0].Source != "douyin" || !bytes.Equal(dead[0].Raw, []byte(tt.body)) || !dead[0].ReceivedAt.Equal(receivedAt) {
				t.Errorf("dead letter: want source douyin, the whole body, received %s; got %s, %q, %s", receivedAt, dead[0].Source, dead[0].Raw, dead[0].ReceivedAt)
			}
			if n := len(r.sink.Batches()); n != 0 {
				t.Errorf("want no Append, got %d", n)
			}
		})
	}
}

// TestBadMessageAmongGood: one message that cannot be decoded or validated
// is dead-lettered on its own; the others of the body are still appended.
func TestBadMessageAmongGood(t *testing.T) {
	created := msg("100", "7290000000000000001", `{"p_id":4981457725099999999,"s_ids":[4981457725099999990],"create_time":1588231100}`)
	paid := msg("101", "7290000000000000002", `{"p_id":4981457725012345678,"pay_time":1588231230}`)
	refund := msg("206", "7290000000000000003", `{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":6400,"refund_post_amount":0,"modify_time":1588317630}`)
	const badID = "7290000000000000099"
	tests := []struct {
		name, bad, reasonHas string
	}{
		{"data is an object, not a string", `{"tag":"100","msg_id":"` + badID + `","data":{"p_id":1}}`, "data is not a JSON string"},
		{"no data", `{"tag":"101","msg_id":"` + badID + `"}`, "data is not a JSON string"},
		{"data is not JSON", element(t, msg("100", badID, `{"p_id":`)), "data"},
		{"p_id through float64", element(t, msg("100", badID, `{"p_id":4.981457725012346e18,"create_time":1588231100}`)), "4.981457725012346e18"},
		{"p_id beyond int64", element(t, msg("100", badID, `{"p_id":18446744073709551616,"create_time":1588231100}`)), "64-bit"},
		{"no p_id", element(t, msg("102", badID, `{"update_time":1588231100}`)), "p_id"},
		{"p_id with leading zeros", element(t, msg("100", badID, `{"p_id":04981457725012345678,"create_time":1588231100}`)), "04981457725012345678"},
		// Amounts and times out of int64's range are refused, never wrapped
		// round into a plausible figure.
		{"refund amount beyond int64", element(t, msg("206", badID, `{"aftersale_id":7012345678901234599,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":9223372036854775808,"refund_post_amount":0,"modify_time":1588317630}`)), "64-bit"},
		{"refund freight below int64", element(t, msg("206", badID, `{"aftersale_id":7012345678901234599,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":600,"refund_post_amount":-9223372036854775809,"modify_time":1588317630}`)), "64-bit"},
		{"time beyond int64", element(t, msg("100", badID, `{"p_id":4981457725088888888,"create_time":99999999999999999999}`)), "64-bit"},
		{"fractional amount", element(t, msg("206", badID, `{"aftersale_id":7012345678901234599,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":600.5,"modify_time":1588317630}`)), "600.5"},
		{"no tag", `{"msg_id":"` + badID + `","data":"{}"}`, "tag"},
		{"created without create_time", element(t, msg("100", badID, `{"p_id":4981457725088888888}`)), "created_at is missing"},
		{"refund of nothing", element(t, msg("206", badID, `{"aftersale_id":7012345678901234599,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":600,"refund_post_amount":600,"modify_time":1588317630}`)), "amount_fen is 0"},
		{"refund without line", element(t, msg("206", badID, `{"aftersale_id":7012345678901234599,"p_id":4981457725012345678,"refund_amount":600,"modify_time":1588317630}`)), "line_id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			b := "[" + element(t, created) + "," + element(t, paid) + "," + tt.bad + "," + element(t, refund) + "]"
			wantAnswer(t, r.push(t, []byte(b)), 400, 40000, badID)

			dead := r.sink.DeadLetters()
			if len(dead) != 1 {
				t.Fatalf("want one dead letter, got %d", len(dead))
			}
			if string(dead[0].Raw) != tt.bad {
				t.Errorf("dead letter raw: want the bad message %s, got %s", tt.bad, dead[0].Raw)
			}
			for _, s := range []string{badID, tt.reasonHas} {
				if !strings.Contains(dead[0].Reason, s) {
					t.Errorf("dead letter reason %q does not name %q", dead[0].Reason, s)
				}
			}
			if n := len(r.sink.Batches()); n != 1 {
				t.Fatalf("want one Append call, got %d", n)
			}
			var types []domain.EventType
			for _, e := range r.sink.Events() {
				types = append(types, e.Type())
			}
			want := []domain.EventType{domain.TypeOrderCreated, domain.TypeOrderPaid, domain.TypeRefundSucceeded}
			if !equal(types, want) {
				t.Errorf("events: want %v in body order, got %v", want, types)
			}
		})
	}
}

func TestAcceptedWithoutEvents(t *testing.T) {
	tests := []struct {
		name string
		body []byte
	}{
		{"empty array", []byte("[]")},
		{"refund created", body(t, msg("200", "1", `{"aftersale_id":7012345678901234567,"p_id":4981457725012345678,"s_id":4981457725012345679,"refund_amount":6400}`))},
		{"unknown tags", body(t, msg("0", "2", `{}`), msg("999", "3", `not even json`), msg("105", "4", `{"p_id":1}`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			wantAnswer(t, r.push(t, tt.body), 200, 0, "success")
			if n, d := len(r.sink.Batches()), len(r.sink.DeadLetters()); n != 0 || d != 0 {
				t.Errorf("want no Append and no dead letter, got %d and %d", n, d)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	r := newRig(t, nil)

	w := httptest.NewRecorder()
	r.handler.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/ingest/douyin", nil))
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != http.MethodPost {
		t.Errorf("GET: want 405 with Allow: POST, got %d %q", w.Code, w.Header().Get("Allow"))
	}

	big := bytes.Repeat([]byte(" "), 8<<20+1)
	wantAnswer(t, r.push(t, big), 413, 41300)
	if n, d := len(r.sink.Batches()), len(r.sink.DeadLetters()); n != 0 || d != 0 {
		t.Errorf("want nothing stored for a refused body, got %d appends and %d dead letters", n, d)
	}
}

func TestSinkFailureIs503(t *testing.T) {
	r := newRig(t, nil)
	r.sink.FailAppends(errSinkDown)
	wantAnswer(t, r.push(t, readFile(t, "douyin-push-paid.json")), 503, 50300, errSinkDown.Error())
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
