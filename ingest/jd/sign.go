package jd

import (
	"crypto/md5"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// Sign computes the sign of a JD router request: the upper-case hex MD5 of
// app_secret + name1 + value1 + name2 + value2 + … + app_secret over every
// parameter but sign, sorted by name. Values are the exact strings sent
// (before URL encoding); a parameter given twice is signed with its first
// value, the one JD reads.
func Sign(appSecret Secret, params url.Values) string {
	names := make([]string, 0, len(params))
	for name := range params {
		if name != "sign" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	h := md5.New()
	h.Write([]byte(appSecret))
	for _, name := range names {
		h.Write([]byte(name))
		h.Write([]byte(params.Get(name)))
	}
	h.Write([]byte(appSecret))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}
