package douyinsim_test

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
