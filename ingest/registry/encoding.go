package registry

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// guessEncoding says what a registry file that is not UTF-8 probably is and
// what to do, for the error. Files from Chinese offices are most often
// GB18030/GBK (what Excel and WPS write as "text" on Chinese Windows), so
// that is what it checks for; ingest/file has the full detector for imports.
func guessEncoding(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		return "it starts with a UTF-16 byte-order mark; save it as UTF-8 and load that"
	case looksGB18030(data):
		return "it looks like GB18030/GBK (the encoding Excel and WPS save text in on Chinese Windows); " +
			"save it as UTF-8 (e.g. iconv -f GB18030 -t UTF-8 FILE > FILE.utf8.json) and load that"
	}
	return "the encoding is not recognised; save it as UTF-8 and load that"
}

// looksGB18030 reports whether data decodes as GB18030 without a single
// invalid sequence and with Chinese characters where the bytes were not
// ASCII.
func looksGB18030(data []byte) bool {
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || !utf8.Valid(text) || bytes.ContainsRune(text, utf8.RuneError) {
		return false
	}
	return bytes.ContainsFunc(text, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}
