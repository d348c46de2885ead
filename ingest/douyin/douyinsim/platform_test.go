package douyinsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

const sampleOrder = "4981457725012345678"

func samplePlatform(t *testing.T, opts douyinsim.PlatformOptions) (*douyinsim.Platform, *httptest.Server) {
	t.Helper()
	p, err := douyinsim.NewPlatform(opts)
	if err != nil {
		t.Fatal(err)
	}
	recorded := sampledata.File("douyin-order-detail.json")
	if err := p.AddOrderDetailJSON(recorded); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv
}

// detailQuery is a request signed with the adapter's exported signer; the
// platform checks it with its own code.
func detailQuery(orderID string, change func(url.Values)) url.Values {
	paramJSON := `{"shop_order_id":"` + orderID + `"}`
	const ts = "2020-04-30 15:20:30"
	q := url.Values{
		"app_key": {douyinsim.SampleAppKey}, "method": {"order.orderDetail"}, "access_token": {douyinsim.SampleAccessToken},
		"param_json": {paramJSON}, "timestamp": {ts}, "v": {"2"}, "sign_method": {"hmac-sha256"},
		"sign": {douyin.APISign(douyinsim.SampleAppKey, douyinsim.SampleAppSecret, "order.orderDetail", paramJSON, ts, "2")},
	}
	if change != nil {
		change(q)
	}
	return q
}

func get(t *testing.T, srv *httptest.Server, q url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(srv.URL + douyinsim.DetailPath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, decodeGeneric(t, b)
}

// decodeGeneric keeps numbers as json.Number so large ids compare exactly.
func decodeGeneric(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer %s: %v", b, err)
	}
	return v
}

func TestPlatformServesSampleShape(t *testing.T) {
	_, srv := samplePlatform(t, douyinsim.PlatformOptions{})
	status, got := get(t, srv, detailQuery(sampleOrder, nil))
	recorded := sampledata.File("douyin-order-detail.json")
	want := decodeGeneric(t, recorded)
	delete(got, "log_id")
	delete(want, "log_id")
	if status != 200 || !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("HTTP %d; answer differs from the recorded sample:\n%s", status, g)
	}
}

func TestPlatformRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name    string
		orderID string
		change  func(url.Values)
		code    string
		subCode string
	}{
		{"wrong sign", sampleOrder, func(q url.Values) { q.Set("sign", strings.Repeat("0", 64)) }, "30001", "isv.signature-invalid"},
		{"signed with another secret", sampleOrder, func(q url.Values) {
			q.Set("sign", douyin.APISign(douyinsim.SampleAppKey, "other", "order.orderDetail", q.Get("param_json"), q.Get("timestamp"), "2"))
		}, "30001", "isv.signature-invalid"},
		{"param_json changed after signing", sampleOrder, func(q url.Values) { q.Set("param_json", `{"shop_order_id": "`+sampleOrder+`"}`) }, "30001", "isv.signature-invalid"},
		{"wrong app key", sampleOrder, func(q url.Values) { q.Set("app_key", "1") }, "30001", "isv.app-key-invalid"},
		{"wrong token", sampleOrder, func(q url.Values) { q.Set("access_token", "x") }, "30001", "isv.access-token-invalid"},
		{"missing timestamp", sampleOrder, func(q url.Values) { q.Del("timestamp") }, "40001", "isv.missing-parameter:timestamp"},
		{"bad timestamp", sampleOrder, func(q url.Values) { q.Set("timestamp", "1588231230") }, "40001", "isv.timestamp-invalid"},
		{"unknown order", "4981457725000000000", nil, "50002", "isv.business-failed:order-not-found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := samplePlatform(t, douyinsim.PlatformOptions{})
			status, got := get(t, srv, detailQuery(tt.orderID, tt.change))
			if status != 200 || got["code"] != json.Number(tt.code) || got["sub_code"] != tt.subCode {
				t.Errorf("want HTTP 200 code %s sub_code %s, got HTTP %d %v %v", tt.code, tt.subCode, status, got["code"], got["sub_code"])
			}
		})
	}
}

func TestPlatformMD5Sign(t *testing.T) {
	_, srv := samplePlatform(t, douyinsim.PlatformOptions{})
	// The md5 variant of the documented rule, computed by hand.
	q := detailQuery(sampleOrder, func(q url.Values) {
		q.Set("sign_method", "md5")
		q.Set("sign", md5Hex(douyinsim.SampleAppSecret+"app_key"+douyinsim.SampleAppKey+"methodorder.orderDetailparam_json"+q.Get("param_json")+"timestamp"+q.Get("timestamp")+"v2"+douyinsim.SampleAppSecret))
	})
	if _, got := get(t, srv, q); got["code"] != json.Number("10000") {
		t.Errorf("want code 10000, got %v %v", got["code"], got["sub_code"])
	}
}

func TestPlatformFailRequests(t *testing.T) {
	p, srv := samplePlatform(t, douyinsim.PlatformOptions{})
	p.FailRequests(2)
	for i, want := range []int{500, 500, 200} {
		if status, _ := get(t, srv, detailQuery(sampleOrder, nil)); status != want {
			t.Errorf("request %d: want HTTP %d, got %d", i+1, want, status)
		}
	}
	if n := p.DetailRequests(); n != 3 {
		t.Errorf("want 3 requests counted, got %d", n)
	}
}

func TestPlatformOptionsValidate(t *testing.T) {
	if _, err := douyinsim.NewPlatform(douyinsim.PlatformOptions{AppKey: " padded "}); err == nil {
		t.Error("want an error for a padded app key")
	}
}
