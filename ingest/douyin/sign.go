package douyin

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
)

// APISign computes the sign of an 抖店开放平台 API call with
// sign_method=hmac-sha256, following the platform's documented rule: the
// signed parameters are app_key, method, param_json, timestamp and v (every
// parameter except sign, sign_method and access_token), sorted by name, each
// written as name+value; the app secret is put before and after them; the
// result is the hex HMAC-SHA256 of that string keyed with the app secret.
//
//	appSecret + "app_key"+appKey + "method"+method + "param_json"+paramJSON +
//	"timestamp"+timestamp + "v"+version + appSecret
//
// paramJSON must be the exact bytes sent: the platform signs the string, not
// its meaning, so keys must already be in the order the request carries.
func APISign(appKey string, appSecret Secret, method, paramJSON, timestamp, version string) string {
	var b strings.Builder
	b.WriteString(string(appSecret))
	for _, kv := range [...][2]string{
		{"app_key", appKey},
		{"method", method},
		{"param_json", paramJSON},
		{"timestamp", timestamp},
		{"v", version},
	} {
		b.WriteString(kv[0])
		b.WriteString(kv[1])
	}
	b.WriteString(string(appSecret))
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write([]byte(b.String()))
	return hex.EncodeToString(mac.Sum(nil))
}

// Errors of checkPushSignature; the handler answers 401 with their text.
var (
	errSignMissing = errors.New("event-sign header is missing")
	errSignBad     = errors.New("event-sign does not match the body")
	errSignMethod  = errors.New("sign-method is neither md5 nor hmac-sha256")
)

// checkPushSignature verifies a push's event-sign header: hex MD5 of
// app_key + body + app_secret, or with sign-method hmac-sha256 the hex
// HMAC-SHA256 of the same string keyed with app_secret. The body must be the
// exact bytes received. The comparison is constant-time; hex case is ignored.
func checkPushSignature(appKey string, appSecret Secret, body []byte, eventSign, signMethod string) error {
	if eventSign == "" {
		return errSignMissing
	}
	got, err := hex.DecodeString(strings.TrimSpace(eventSign))
	if err != nil {
		return errSignBad
	}
	var want []byte
	switch strings.ToLower(strings.TrimSpace(signMethod)) {
	case "", "md5":
		h := md5.New()
		h.Write([]byte(appKey))
		h.Write(body)
		h.Write([]byte(appSecret))
		want = h.Sum(nil)
	case "hmac-sha256":
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write([]byte(appKey))
		mac.Write(body)
		mac.Write([]byte(appSecret))
		want = mac.Sum(nil)
	default:
		return errSignMethod
	}
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return errSignBad
	}
	return nil
}
