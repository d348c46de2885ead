package douyin

import (
	"errors"
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
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

// envelope is one element of a push body. Its fields are decoded one by
// one, msg_id first, so a message with a bad tag or data is still named by
// its msg_id in the dead letter, the answer and the log.
type envelope struct {
	Tag   json.RawMessage `json:"tag"`
	MsgID json.RawMessage `json:"msg_id"`
	// Data is a JSON string holding the message's own JSON.
	Data json.RawMessage `json:"data"`
}

// orderMessage is the data of the order tags (100–106). Only the fields the
// events need are read; the push carries no line items.
type orderMessage struct {
	PID          exactID `json:"p_id"`
	CreateTime   integer `json:"create_time"`
	PayTime      integer `json:"pay_time"`
	UpdateTime   integer `json:"update_time"`
	ShipTime     integer `json:"ship_time"`
	CompleteTime integer `json:"complete_time"`
	CancelTime   integer `json:"cancel_time"`
}

// refundMessage is the data of the after-sale tags (200–206). Amounts are fen.
type refundMessage struct {
	AftersaleID      exactID `json:"aftersale_id"`
	PID              exactID `json:"p_id"`
	SID              exactID `json:"s_id"`
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
