package douyinsim

// This file is written from the platform's documents, not from the adapter's
// code, so a signing bug on either side makes a test fail instead of being
// shared by both.

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
)

// Push sign methods: the sign-method header names the second; no header
// means MD5.
const (
	SignMD5        = "md5"
	SignHMACSHA256 = "hmac-sha256"
)

// PushSignature is the event-sign header of a push body, as the platform
// documents it: the string signed is app_key + body + app_secret; with
// SignMD5 the header is its hex MD5, with SignHMACSHA256 its hex HMAC-SHA256
// keyed with app_secret.
func PushSignature(appKey, appSecret string, body []byte, method string) string {
	signed := []byte(appKey + string(body) + appSecret)
	if method == SignHMACSHA256 {
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write(signed)
		return hex.EncodeToString(mac.Sum(nil))
	}
	sum := md5.Sum(signed)
	return hex.EncodeToString(sum[:])
}

// expectedAPISign is the sign the platform expects on an API request, per
// 抖店开放平台 "签名算法": take every request parameter except sign,
// sign_method and access_token; sort them by name; concatenate name and
// value of each; wrap the result in the app secret on both sides; the sign
// is the hex HMAC-SHA256 of that keyed with the app secret (sign_method
// hmac-sha256) or its hex MD5 (sign_method md5 or absent).
func expectedAPISign(appSecret string, q url.Values) string {
	var names []string
	for name := range q {
		switch name {
		case "sign", "sign_method", "access_token":
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	s := appSecret
	for _, name := range names {
		s += name + q.Get(name)
	}
	s += appSecret
	if q.Get("sign_method") == "hmac-sha256" {
		mac := hmac.New(sha256.New, []byte(appSecret))
		mac.Write([]byte(s))
		return hex.EncodeToString(mac.Sum(nil))
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
