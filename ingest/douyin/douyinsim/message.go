package douyinsim

import (
	"encoding/json"
	"time"
)

// Message is one push message and when the platform sends it.
type Message struct {
	Tag   string
	MsgID string
	// Data is the message itself, JSON; in the push body it is a JSON string.
	Data string
	// At is when the platform pushes the message. A message scheduled twice
	// appears twice, with the same MsgID and Data and a later At.
	At time.Time
	// OrderID is the message's p_id, for tests; it is not pushed.
	OrderID string
}

// pushElement is a Message as the push body carries it.
type pushElement struct {
	Tag   string `json:"tag"`
	MsgID string `json:"msg_id"`
	Data  string `json:"data"`
}

// EncodeBatch encodes messages as a push body: a JSON array of
// {tag, msg_id, data} with data a JSON string, like samples/douyin-push-*.json.
func EncodeBatch(msgs []Message) ([]byte, error) {
	elems := make([]pushElement, len(msgs))
	for i, m := range msgs {
		elems[i] = pushElement{Tag: m.Tag, MsgID: m.MsgID, Data: m.Data}
	}
	return json.Marshal(elems)
}

// Message data, field for field as the platform pushes it (ids as JSON
// numbers, times Unix seconds, amounts fen). Field order follows the samples.

type createdData struct {
	PID        int64   `json:"p_id"`
	SIDs       []int64 `json:"s_ids"`
	ShopID     int64   `json:"shop_id"`
	Status     int     `json:"order_status"`
	OrderType  int     `json:"order_type"`
	Biz        int     `json:"biz"`
	CreateTime int64   `json:"create_time"`
}

type paidData struct {
	PID       int64   `json:"p_id"`
	SIDs      []int64 `json:"s_ids"`
	ShopID    int64   `json:"shop_id"`
	Status    int     `json:"order_status"`
	OrderType int     `json:"order_type"`
	PayType   int     `json:"pay_type"`
	PayTime   int64   `json:"pay_time"`
	PayAmount int64   `json:"pay_amount"`
	Biz       int     `json:"biz"`
}

type shippedData struct {
	PID        int64   `json:"p_id"`
	SIDs       []int64 `json:"s_ids"`
	ShopID     int64   `json:"shop_id"`
	Status     int     `json:"order_status"`
	UpdateTime int64   `json:"update_time"`
}

type completedData struct {
	PID          int64   `json:"p_id"`
	SIDs         []int64 `json:"s_ids"`
	ShopID       int64   `json:"shop_id"`
	Status       int     `json:"order_status"`
	CompleteTime int64   `json:"complete_time"`
}

type cancelledData struct {
	PID          int64   `json:"p_id"`
	SIDs         []int64 `json:"s_ids"`
	ShopID       int64   `json:"shop_id"`
	Status       int     `json:"order_status"`
	CancelReason string  `json:"cancel_reason"`
	CancelTime   int64   `json:"cancel_time"`
}

type refundData struct {
	AftersaleID      int64 `json:"aftersale_id"`
	AftersaleStatus  int   `json:"aftersale_status"`
	AftersaleType    int   `json:"aftersale_type"`
	PID              int64 `json:"p_id"`
	SID              int64 `json:"s_id"`
	ShopID           int64 `json:"shop_id"`
	RefundAmount     int64 `json:"refund_amount"`
	RefundPostAmount int64 `json:"refund_post_amount"`
	ApplyTime        int64 `json:"apply_time,omitempty"`
	RefundVoucherNum int   `json:"refund_voucher_num"`
	ReasonCode       int   `json:"reason_code"`
	ModifyTime       int64 `json:"modify_time,omitempty"`
}
