package douyin

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"
)

// The field types below are the adapter's whole contract with the JSON it
// receives. Fields Loquat computes with are strict: exactID for the ids that
// key orders, lines, refunds, SKUs and live rooms, integer for amounts,
// counts and times. Fields it only carries (message ids, names, the buyer's
// open id, the anchor's id, the API's log id) are text: opaque and bounded.
// Each accepts a JSON number or a JSON string, since the platform writes the
// same field either way, and none passes through float64.

// Bounds of what the adapter accepts. They are far above anything the
// platform sends and keep one message from carrying megabytes of text into
// the log, or sums of amounts from overflowing.
const (
	// maxIDDigits is the most digits an exactID has: int64 has 19.
	maxIDDigits = 19
	// maxCarriedIDBytes bounds msg_id, tag, author_id, doudian_open_id and
	// the other ids Loquat only carries. Real msg_ids have 19 to 30 bytes.
	maxCarriedIDBytes = 256
	// maxNameBytes bounds product and anchor names (about 340 CJK characters).
	maxNameBytes = 1024
	// maxAmountFen bounds every amount: 10 billion yuan, beyond any order of
	// produce, and small enough that no sum of a push's amounts overflows.
	maxAmountFen = 1_000_000_000_000
)

// The window of plausible platform times, Unix seconds: 2000-01-01 to
// 2100-01-01 China time. A time outside it is garbled, and beyond year 9999
// it could not even be written to the log.
var (
	minUnixTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix()
	maxUnixTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600)).Unix()
)

// exactID is a platform id that keys something Loquat computes with (p_id,
// s_id, aftersale_id, sku_id, room_id), kept as its decimal digits. Douyin's
// ids exceed 2^53, so they are taken from the JSON token itself. It accepts
// a JSON number in JSON's integer form or a JSON string of decimal digits
// (leading zeros dropped); either must fit in int64. null or "" is absent.
type exactID string

func (v *exactID) UnmarshalJSON(b []byte) error {
	token, quoted, err := scalar(b)
	if err != nil || token == nil {
		*v = ""
		return err
	}
	if quoted {
		for len(token) > 1 && token[0] == '0' { // "0042" is the integer 42
			token = token[1:]
		}
	} else if len(token) > 1 && token[0] == '0' {
		return fmt.Errorf("id %s is not a JSON integer (leading zero)", clip(b))
	}
	if !isDigits(token) || len(token) > maxIDDigits {
		return fmt.Errorf("id %s is not a non-negative 64-bit integer (ids must be exact, never floating point)", clip(b))
	}
	if _, err := strconv.ParseInt(string(token), 10, 64); err != nil {
		return fmt.Errorf("id %s is not a non-negative 64-bit integer (ids must be exact, never floating point)", clip(b))
	}
	*v = exactID(token)
	return nil
}

// isZero reports whether the id is absent or 0 (Douyin writes room_id 0 for
// a sale outside a live room).
func (v exactID) isZero() bool { return v == "" || v == "0" }

// integer is an amount (fen), a count or a time (Unix seconds), taken
// exactly: a JSON number in JSON's integer form, or a JSON string holding
// one ("12800"). A number out of int64's range, with a fraction or an
// exponent, or with leading zeros is an error: never wrapped, rounded or
// guessed at. null and "" leave it absent (0).
type integer int64

func (v *integer) UnmarshalJSON(b []byte) error {
	token, _, err := scalar(b)
	if err != nil || token == nil {
		return err // null and "" leave the number as it is, as encoding/json does for null
	}
	n, err := parseJSONInt(token)
	if err != nil {
		return err
	}
	*v = integer(n)
	return nil
}

// scalar returns what a number field holds: the token of a JSON number, or
// the content of a JSON string (quoted true). null and "" are absent: nil.
func scalar(b []byte) (token []byte, quoted bool, err error) {
	if bytes.Equal(b, []byte("null")) {
		return nil, false, nil
	}
	if len(b) == 0 || b[0] != '"' {
		return b, false, nil
	}
	s, err := jsonString(b)
	if err != nil || s == "" {
		return nil, true, err
	}
	return []byte(s), true, nil
}

// parseJSONInt parses a JSON number token that must be an int64: an
// optional minus, then 0 or digits without a leading zero.
func parseJSONInt(b []byte) (int64, error) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if !isDigits(digits) || (digits[0] == '0' && len(digits) > 1) {
		return 0, fmt.Errorf("%s is not a JSON integer", clip(b))
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a 64-bit integer", clip(b))
	}
	return n, nil
}

// carriedID and carriedName are values Loquat only carries: opaque strings
// of UTF-8, bounded. A JSON number is kept as written ("7065106405339121446"
// stays those digits, however many), null is empty; an object, an array or a
// boolean is an error.
type (
	// carriedID is msg_id, tag, author_id, doudian_open_id, the API's log_id.
	carriedID string
	// carriedName is product_name, author_name, the API's messages.
	carriedName string
)

func (v *carriedID) UnmarshalJSON(b []byte) error {
	s, err := decodeText(b, maxCarriedIDBytes)
	*v = carriedID(s)
	return err
}

func (v *carriedName) UnmarshalJSON(b []byte) error {
	s, err := decodeText(b, maxNameBytes)
	*v = carriedName(s)
	return err
}

// decodeText decodes a carried value of at most max bytes.
func decodeText(b []byte, max int) (string, error) {
	var s string
	switch {
	case bytes.Equal(b, []byte("null")):
	case len(b) > 0 && b[0] == '"':
		var err error
		if s, err = jsonString(b); err != nil {
			return "", err
		}
	case len(b) > 0 && (b[0] == '-' || isDigit(b[0])):
		s = string(b) // kept as written: it is never computed with
	default:
		return "", fmt.Errorf("%s is not a string or a number", clip(b))
	}
	if len(s) > max {
		return "", fmt.Errorf("%s is %d bytes long, more than %d", clip(b), len(s), max)
	}
	return s, nil
}

// jsonString decodes a JSON string token, which must be valid UTF-8.
func jsonString(b []byte) (string, error) {
	var s string
	if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		s = string(b[1 : len(b)-1]) // nothing to unescape: skip the decoder
	} else if err := json.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("%s is not a JSON string", clip(b))
	}
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%s is not valid UTF-8", clip(b))
	}
	return s, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// clip returns a value as sent, for an error or a log: printable text as
// it is, anything else quoted, and at most 80 bytes of it.
func clip[T ~[]byte | ~string](b T) string {
	const most = 80
	s := string(b)
	cut := len(s) > most
	if cut {
		s = s[:most]
		for len(s) > 0 && !utf8.ValidString(s) { // do not split a rune
			s = s[:len(s)-1]
		}
	}
	if !printable(s) {
		s = strconv.Quote(s)
	}
	if cut {
		s += "…"
	}
	return s
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return false
		}
	}
	return true
}
