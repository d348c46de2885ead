package douyin

import (
	"net/url"
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
