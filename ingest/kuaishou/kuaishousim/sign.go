package kuaishousim

// This file is written from the platform's documents (API调用说明, 签名算法),
// not from the adapter's code, so that a signing bug on either side fails a
// test.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
)

// expectedSign is the sign the platform expects. The signed string is the
// seven signed parameters in name order — access_token, appkey, method,
// param, signMethod, timestamp, version — written name=value and joined
// with "&", followed by "&signSecret=" and the secret. signMethod MD5 signs
// with the lower-case hex MD5 of it; HMAC_SHA256 with the base64 of its
// HMAC-SHA256 keyed with the secret.
func expectedSign(signSecret string, q url.Values) string {
	s := fmt.Sprintf("access_token=%s&appkey=%s&method=%s&param=%s&signMethod=%s&timestamp=%s&version=%s&signSecret=%s",
		q.Get("access_token"), q.Get("appkey"), q.Get("method"), q.Get("param"),
		q.Get("signMethod"), q.Get("timestamp"), q.Get("version"), signSecret)
	if q.Get("signMethod") == "HMAC_SHA256" {
		m := hmac.New(sha256.New, []byte(signSecret))
		m.Write([]byte(s))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return fmt.Sprintf("%x", md5.Sum([]byte(s)))
}
