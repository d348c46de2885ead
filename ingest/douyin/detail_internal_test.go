package douyin

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestDetailURL holds the hand-written query of detailURL to what
// url.Values.Encode would write: every parameter, escaped, keys sorted.
func TestDetailURL(t *testing.T) {
	at := time.Date(2020, 4, 30, 7, 12, 30, 0, time.UTC) // 15:12:30 China time
	c := &detailClient{cfg: Config{AppKey: "7100000000000000009", AppSecret: "s&cr=t", AccessToken: "tok en/+&",
		APIBaseURL: "https://openapi-fxg.jinritemai.com/", Now: func() time.Time { return at }}}
	raw := c.detailURL("4981457725012345678")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != "https://openapi-fxg.jinritemai.com/order/orderDetail" {
		t.Errorf("endpoint %s", got)
	}
	q := u.Query()
	if u.RawQuery != q.Encode() {
		t.Errorf("query is not in url.Values.Encode's form:\n got %s\nwant %s", u.RawQuery, q.Encode())
	}
	want := map[string]string{
		"access_token": "tok en/+&",
		"app_key":      "7100000000000000009",
		"method":       "order.orderDetail",
		"param_json":   `{"shop_order_id":"4981457725012345678"}`,
		"sign_method":  "hmac-sha256",
		"timestamp":    "2020-04-30 15:12:30",
		"v":            "2",
		"sign":         APISign("7100000000000000009", "s&cr=t", "order.orderDetail", `{"shop_order_id":"4981457725012345678"}`, "2020-04-30 15:12:30", "2"),
	}
	if len(q) != len(want) {
		t.Errorf("%d parameters, want %d: %v", len(q), len(want), q)
	}
	for k, v := range want {
		if got := q[k]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

// TestDetailAmountsExact: the detail answer's amounts, counts and times are
// taken exactly or refused — the JSON package under them would wrap a
// number beyond int64 round into a plausible one.
func TestDetailAmountsExact(t *testing.T) {
	answer := func(line string) []byte {
		return []byte(`{"code":10000,"data":{"shop_order_detail":{"order_id":"1","create_time":1588231200,"sku_order_list":[` + line + `]}}}`)
	}
	tests := []struct {
		name, line string
		wantPay    integer // when accepted
		wantErr    bool
	}{
		{"largest int64", `{"pay_amount":9223372036854775807}`, 9223372036854775807, false},
		{"beyond int64", `{"pay_amount":9223372036854775808}`, 0, true},
		{"below int64", `{"pay_amount":-9223372036854775809}`, 0, true},
		{"item count beyond int64", `{"pay_amount":1,"item_num":18446744073709551617}`, 0, true},
		{"fraction", `{"pay_amount":12.5}`, 0, true},
		{"exponent", `{"pay_amount":1e3}`, 0, true},
		{"leading zero", `{"pay_amount":0128}`, 0, true},
		{"null", `{"pay_amount":null}`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := decodeDetailAnswer(answer(tt.line))
			if err == nil {
				err = d.invalid
			}
			if tt.wantErr {
				if err == nil {
					t.Fatalf("accepted: pay_amount %d", d.SkuOrderList[0].PayAmount)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.SkuOrderList[0].PayAmount; got != tt.wantPay {
				t.Errorf("pay_amount %d, want %d", got, tt.wantPay)
			}
		})
	}
}

// TestDetailAnswerTextsAsSent: the answer's texts (msg, sub_code, sub_msg,
// log_id) only go into errors, so no form of them loses an answer or its
// error code: the detail is used, the failure still retried.
func TestDetailAnswerTextsAsSent(t *testing.T) {
	const detail = `{"order_id":"1","create_time":1588231200,"pay_time":1588231230,"sku_order_list":[{"order_id":"2","sku_id":3,"item_num":1,"pay_amount":100}]}`
	d, err := decodeDetailAnswer([]byte(`{"code":"10000","msg":{"zh":"成功"},"sub_code":null,"sub_msg":[1],"log_id":` +
		`"` + strings.Repeat("9", 300) + `","data":{"shop_order_detail":` + detail + `}}`))
	if err != nil || d.invalid != nil || d.OrderID != "1" || len(d.SkuOrderList) != 1 {
		t.Fatalf("answer with odd texts: want the detail of order 1, got %+v, %v", d, err)
	}
	_, err = decodeDetailAnswer([]byte(`{"code":20000,"msg":503,"sub_code":"isp.service-error","sub_msg":{"x":true},"log_id":{"a":1},"data":{}}`))
	var api *apiError
	if !errors.As(err, &api) || !api.temporary() || api.Msg != "503" || api.SubMsg != `{"x":true}` {
		t.Fatalf("unavailable answer with odd texts: want a temporary *apiError with msg 503 and sub_msg {\"x\":true}, got %#v", err)
	}
}
