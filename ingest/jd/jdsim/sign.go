package jdsim

// This file is written from JD's documents (开放平台 "签名算法"), not from
// the adapter's code, so that a signing bug on either side fails a test.

import (
	"crypto/md5"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// expectedSign is the sign JD expects: join every request parameter but
// sign, sorted by name, as name then value with nothing in between; wrap
// that in the app secret on both sides; take its MD5 and write it as
// upper-case hex.
func expectedSign(appSecret string, form url.Values) string {
	var names []string
	for name := range form {
		if name == "sign" {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(appSecret)
	for _, name := range names {
		b.WriteString(name + form.Get(name))
	}
	b.WriteString(appSecret)
	return fmt.Sprintf("%X", md5.Sum([]byte(b.String())))
}
