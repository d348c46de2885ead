package douyin_test

import (
	"strings"
	"testing"

	"github.com/loquat-dev/loquat/ingest/douyin"
	"github.com/loquat-dev/loquat/ingest/douyin/douyinsim"
)

// The signatures samples/README.md gives for the sample push bodies.
const (
	paidMD5      = "0c80c7f1abdbd9c8c4193fa99f9a3dc4"
	refundMD5    = "630d4790d9dff84cce9c5c86474fca6d"
	paidHMAC     = "a7bee8c2d420106c7e620bb2b42420b3f06fd055fa2685894071a30b0210d507"
	refundHMAC   = "c1bef5b304a3ba1bf149f69663de639a448bc63b56783e7220a1559315382f46"
	hmacSHA256   = "hmac-sha256"
	headerSign   = "event-sign"
	headerMethod = "sign-method"
)

func TestSampleSignaturesAccepted(t *testing.T) {
	tests := []struct {
		name, file string
		headers    map[string]string
	}{
		{"paid md5", "douyin-push-paid.json", map[string]string{headerSign: paidMD5}},
		{"refund md5", "douyin-push-refund.json", map[string]string{headerSign: refundMD5}},
		{"paid hmac", "douyin-push-paid.json", map[string]string{headerSign: paidHMAC, headerMethod: hmacSHA256}},
		{"refund hmac", "douyin-push-refund.json", map[string]string{headerSign: refundHMAC, headerMethod: hmacSHA256}},
		{"upper-case hex", "douyin-push-paid.json", map[string]string{headerSign: strings.ToUpper(paidMD5)}},
		{"explicit md5 method", "douyin-push-refund.json", map[string]string{headerSign: refundMD5, headerMethod: "md5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			wantAnswer(t, r.post(t, readFile(t, tt.file), tt.headers), 200, 0, "success")
			if len(r.sink.Events()) == 0 {
				t.Error("no events appended for an accepted push")
			}
		})
	}
}

func TestBadSignatureRejected(t *testing.T) {
	paid := readFile(t, "douyin-push-paid.json")
	flipped := append([]byte(nil), paid...)
	flipped[len(flipped)/2] ^= 0x01
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		msgHas  string
	}{
		{"flipped body byte", flipped, map[string]string{headerSign: paidMD5}, "does not match"},
		{"flipped body byte, hmac", flipped, map[string]string{headerSign: paidHMAC, headerMethod: hmacSHA256}, "does not match"},
		{"missing header", paid, nil, "missing"},
		{"wrong secret", paid, map[string]string{headerSign: douyinsim.PushSignature(appKey, "not-the-secret", paid, douyinsim.SignMD5)}, "does not match"},
		{"md5 sent as hmac", paid, map[string]string{headerSign: paidMD5, headerMethod: hmacSHA256}, "does not match"},
		{"not hex", paid, map[string]string{headerSign: "zz" + paidMD5[2:]}, "does not match"},
		{"unknown method", paid, map[string]string{headerSign: paidMD5, headerMethod: "sha1"}, "sign-method"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, nil)
			wantAnswer(t, r.post(t, tt.body, tt.headers), 401, 40100, tt.msgHas)
			if n := len(r.sink.Events()); n != 0 {
				t.Errorf("want nothing appended, got %d events", n)
			}
			if n := len(r.sink.DeadLetters()); n != 0 {
				t.Errorf("want no dead letter for unauthenticated input, got %d", n)
			}
			if n := r.sim.DetailRequests(); n != 0 {
				t.Errorf("want no order.orderDetail call, got %d", n)
			}
		})
	}
}

// TestAPISign holds the exported signer to a vector computed outside Go:
// printf '%s' "$S"'app_key…v2'"$S" | openssl dgst -sha256 -hmac "$S".
func TestAPISign(t *testing.T) {
	got := douyin.APISign(appKey, appSecret, "order.orderDetail", `{"shop_order_id":"4981457725012345678"}`, "2020-04-30 15:20:30", "2")
	const want = "2a44e95ec584fac6263b754b452ee9a05c1f2a6134643c7c9bd5275d4af43e02"
	if got != want {
		t.Errorf("APISign: want %s, got %s", want, got)
	}
}
