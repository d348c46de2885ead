package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encoding is the text encoding of an input file. Loquat's own is UTF-8;
// Chinese offices often save GB18030 (GBK, its subset), which is read only
// when declared: a guess could be wrong, and a wrong guess garbles every
// name for good.
type Encoding string

const (
	// EncodingUTF8 is the default: UTF-8, a BOM ignored.
	EncodingUTF8 Encoding = "utf-8"
	// EncodingGB18030 reads GB18030, and so GBK and GB2312, which it contains.
	EncodingGB18030 Encoding = "gb18030"
)

// ParseEncoding reads an encoding's name as a user writes it: "" and
// "utf-8"/"utf8" are UTF-8; "gb18030", "gbk", "gb2312", "cp936" are GB18030.
func ParseEncoding(name string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return EncodingUTF8, nil
	case "gb18030", "gbk", "gb2312", "cp936":
		return EncodingGB18030, nil
	}
	return "", fmt.Errorf("encoding %q is not utf-8 or gb18030 (gbk and gb2312 are read as gb18030)", name)
}

// ErrEncoding is wrapped by every EncodingError.
var ErrEncoding = errors.New("text is not in the declared encoding")

// EncodingError says where input stopped being text in its encoding and
// what it probably is instead.
type EncodingError struct {
	Line     int      // physical line, from 1
	Encoding Encoding // the encoding it was read as
	Likely   string   // what the bytes look like, e.g. "GB18030/GBK"; "" if unknown
}

func (e *EncodingError) Error() string {
	msg := fmt.Sprintf("line %d is not %s text", e.Line, e.Encoding)
	switch {
	case e.Encoding == EncodingGB18030:
		msg += " either: check the file's encoding"
	case e.Likely != "":
		msg += fmt.Sprintf("; it looks like %s: pass --encoding gb18030, or save the file as UTF-8", e.Likely)
		if strings.HasPrefix(e.Likely, "UTF-16") {
			msg = fmt.Sprintf("line %d is not %s text; it looks like %s: save the file as CSV UTF-8", e.Line, e.Encoding, e.Likely)
		}
	default:
		msg += "; save the file as UTF-8 (or pass --encoding gb18030 if it is GB18030/GBK)"
	}
	return msg
}

func (e *EncodingError) Unwrap() error { return ErrEncoding }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// DecodeText returns data as UTF-8 text without a BOM, decoding it from enc.
// Text that is not valid in enc is an *EncodingError naming the line: a
// GB18030 file read as UTF-8 is refused, never garbled. A UTF-8 BOM makes
// the data UTF-8 whatever enc says. (For `loquat registry load` and any
// other input read whole; TextReader and CheckLine are the streaming form.)
func DecodeText(data []byte, enc Encoding) ([]byte, error) {
	if bytes.HasPrefix(data, utf8BOM) {
		data, enc = data[len(utf8BOM):], EncodingUTF8
	}
	raw := data
	if enc == EncodingGB18030 {
		var err error
		if data, err = simplifiedchinese.GB18030.NewDecoder().Bytes(data); err != nil {
			return nil, fmt.Errorf("decode gb18030: %w", err)
		}
	}
	for num, line := range bytes.Split(data, []byte("\n")) {
		if err := CheckLine(line, num+1, enc, nil); err != nil {
			if enc == EncodingUTF8 {
				err.(*EncodingError).Likely = likelyEncoding(bytes.Split(raw, []byte("\n"))[num], num == 0)
			}
			return nil, err
		}
	}
	return data, nil
}

// TextReader returns r decoded from enc to UTF-8. A UTF-8 BOM at the start
// makes it UTF-8 whatever enc says (the BOM is left for the reader to skip).
// Bytes that are not GB18030 become U+FFFD, which CheckLine then refuses.
func TextReader(r io.Reader, enc Encoding) io.Reader {
	if enc != EncodingGB18030 {
		return r
	}
	br := bufio.NewReader(r)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		return br
	}
	return transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
}

// CheckLine checks one decoded line, number num, read as enc: it must be
// valid UTF-8 and hold no U+FFFD (a decoder's mark for bytes it could not
// read, or text garbled before it reached us). raw, if given, is the line's
// bytes before decoding, from which the error guesses the real encoding.
func CheckLine(line []byte, num int, enc Encoding, raw []byte) error {
	if utf8.Valid(line) && !bytes.ContainsRune(line, utf8.RuneError) {
		return nil
	}
	e := &EncodingError{Line: num, Encoding: enc}
	if enc == EncodingUTF8 {
		if raw == nil {
			raw = line
		}
		e.Likely = likelyEncoding(raw, num == 1)
	}
	return e
}

// likelyEncoding guesses what a line that is not UTF-8 is: UTF-16 by its
// BOM (Excel's "Unicode text"), GB18030/GBK when it decodes cleanly to text
// with Chinese characters in it.
func likelyEncoding(line []byte, first bool) string {
	if first && (bytes.HasPrefix(line, []byte{0xFF, 0xFE}) || bytes.HasPrefix(line, []byte{0xFE, 0xFF})) {
		return "UTF-16 (Excel's \"Unicode text\")"
	}
	if bytes.ContainsRune(line, utf8.RuneError) && utf8.Valid(line) {
		return "" // already garbled: no encoding would read it
	}
	dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
	if err != nil || bytes.ContainsRune(dec, utf8.RuneError) {
		return ""
	}
	for _, r := range string(dec) {
		if unicode.Is(unicode.Han, r) {
			return "GB18030/GBK (how Excel on Chinese Windows saves CSV)"
		}
	}
	return ""
}
