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
	if bytes.Equal(b, []byte("null")) {
		*v = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
			s = s[1 : len(s)-1] // digits need no unescaping: skip the decoder
		} else if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*v = ""
			return nil
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("id %s is not a non-negative 64-bit integer (ids must be exact, never floating point)", b)
	}
	*v = id(strconv.FormatInt(n, 10))
	return nil
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
	PID          id    `json:"p_id"`
	CreateTime   int64 `json:"create_time"`
	PayTime      int64 `json:"pay_time"`
	UpdateTime   int64 `json:"update_time"`
	ShipTime     int64 `json:"ship_time"`
	CompleteTime int64 `json:"complete_time"`
	CancelTime   int64 `json:"cancel_time"`
}

// refundMessage is the data of the after-sale tags (200–206). Amounts are fen.
type refundMessage struct {
	AftersaleID      id    `json:"aftersale_id"`
	PID              id    `json:"p_id"`
	SID              id    `json:"s_id"`
	RefundAmount     int64 `json:"refund_amount"`
	RefundPostAmount int64 `json:"refund_post_amount"`
	ModifyTime       int64 `json:"modify_time"`
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
func unixTime(s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).In(domain.ChinaTime)
}

// firstTime returns the first non-zero of the given Unix seconds.
func firstTime(secs ...int64) time.Time {
	for _, s := range secs {
		if s > 0 {
			return unixTime(s)
		}
	}
	return time.Time{}
}
