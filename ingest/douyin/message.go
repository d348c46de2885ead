package douyin

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
)

// Push tags this adapter maps to events. Every other tag is accepted and skipped.
const (
	tagOrderCreated    = "100"
	tagOrderPaid       = "101"
	tagOrderShipped    = "102"
	tagOrderCompleted  = "103"
	tagOrderCancelled  = "106"
	tagRefundCreated   = "200"
	tagRefundSucceeded = "206"
)

// id is a platform id or tag kept as its decimal digits. Douyin's p_id, s_id,
// aftersale_id and room_id exceed 2^53, so they are taken from the JSON token
// itself and never pass through float64. It accepts a JSON number or a JSON
// string of digits (the platform writes some ids one way, some the other).
type id string

func (v *id) UnmarshalJSON(b []byte) error {
	var n int64
	var err error
	switch {
	case bytes.Equal(b, []byte("null")):
		*v = ""
		return nil
	case len(b) > 0 && b[0] == '"': // a string of digits, as the platform writes some ids
		s := string(b)
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
			s = s[1 : len(s)-1] // digits need no unescaping: skip the decoder
		} else if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*v = ""
			return nil
		}
		n, err = strconv.ParseInt(s, 10, 64)
	default: // a number token, in JSON's form
		n, err = parseJSONInt(b)
	}
	if err != nil || n < 0 {
		return fmt.Errorf("id %s is not a non-negative 64-bit integer (ids must be exact, never floating point)", b)
	}
	*v = id(strconv.FormatInt(n, 10))
	return nil
}

// integer is a JSON integer taken exactly. A number out of int64's range,
// with a fraction or an exponent, or not in JSON's form (leading zeros) is an
// error: never wrapped, rounded or guessed at — amounts and times come from
// outside.
type integer int64

func (v *integer) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil // as encoding/json leaves a number for null
	}
	n, err := parseJSONInt(b)
	if err != nil {
		return err
	}
	*v = integer(n)
	return nil
}

// parseJSONInt parses a JSON number token that must be an int64: an
// optional minus, then 0 or digits without a leading zero.
func parseJSONInt(b []byte) (int64, error) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return 0, fmt.Errorf("%s is not a JSON integer", b)
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a 64-bit integer", b)
	}
	return n, nil
}

// isZero reports whether the id is absent or 0 (Douyin writes room_id 0 for
// a sale outside a live room).
func (v id) isZero() bool { return v == "" || v == "0" }

// envelope is one element of a push body.
type envelope struct {
	Tag   id `json:"tag"`
	MsgID id `json:"msg_id"`
	// Data is a JSON string holding the message's own JSON. It is decoded
	// apart so a bad data still leaves tag and msg_id for the dead letter.
	Data json.RawMessage `json:"data"`
}

// orderMessage is the data of the order tags (100–106). Only the fields the
// events need are read; the push carries no line items.
type orderMessage struct {
	PID          id      `json:"p_id"`
	CreateTime   integer `json:"create_time"`
	PayTime      integer `json:"pay_time"`
	UpdateTime   integer `json:"update_time"`
	ShipTime     integer `json:"ship_time"`
	CompleteTime integer `json:"complete_time"`
	CancelTime   integer `json:"cancel_time"`
}

// refundMessage is the data of the after-sale tags (200–206). Amounts are fen.
type refundMessage struct {
	AftersaleID      id      `json:"aftersale_id"`
	PID              id      `json:"p_id"`
	SID              id      `json:"s_id"`
	RefundAmount     integer `json:"refund_amount"`
	RefundPostAmount integer `json:"refund_post_amount"`
	ModifyTime       integer `json:"modify_time"`
}

// decodeData decodes a message's data, a JSON string of JSON, into v.
// Unknown fields are allowed: the platform adds fields over time and they
// must not reject a push.
func decodeData(raw json.RawMessage, v any) error {
	var data string
	if err := json.Unmarshal(raw, &data); err != nil {
		return errors.New("data is not a JSON string")
	}
	if data == "" {
		return errors.New("data is empty")
	}
	dec := json.NewDecoder(strings.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("data is not the expected JSON object: %w", err)
	}
	if dec.More() {
		return errors.New("data has trailing content after the JSON object")
	}
	return nil
}

// unixTime converts Douyin's Unix seconds; 0 (absent) is the zero time, which
// the events' Validate reports as missing.
func unixTime(s integer) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).In(domain.ChinaTime)
}

// firstTime returns the first non-zero of the given Unix seconds.
func firstTime(secs ...integer) time.Time {
	for _, s := range secs {
		if s > 0 {
			return unixTime(s)
		}
	}
	return time.Time{}
}
