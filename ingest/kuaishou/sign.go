package kuaishou

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// signedParams are the parameters the platform signs; any other parameter
// a request carries is not part of the sign.
var signedParams = []string{"access_token", "appkey", "method", "param", "signMethod", "timestamp", "version"}

// Sign computes the sign of a 快手电商开放平台 request, following the
// platform's "签名算法": the signed parameters present in params (appkey,
// method, access_token, version, signMethod, timestamp, param), sorted by
// name and joined as name=value with "&", then "&signSecret=" and the sign
// secret appended. With signMethod MD5 the sign is that string's lower-case
// hex MD5; with HMAC_SHA256 its HMAC-SHA256 keyed with the sign secret,
// base64-encoded. Values are the exact strings sent, before URL encoding.
func Sign(signSecret Secret, signMethod string, params url.Values) string {
	names := make([]string, 0, len(signedParams))
	for _, name := range signedParams {
		if params.Get(name) != "" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	pairs := make([]string, len(names))
	for i, name := range names {
		pairs[i] = name + "=" + params.Get(name)
	}
	s := strings.Join(pairs, "&") + "&signSecret=" + string(signSecret)
	if signMethod == SignHMACSHA256 {
		mac := hmac.New(sha256.New, []byte(signSecret))
		mac.Write([]byte(s))
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}
