package douyin

import (
	"errors"
	"fmt"
	"time"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
)

// Platform is the platform name written into every event.
const Platform = "douyin"

// message is one decoded element of a push body.
type message struct {
	raw   json.RawMessage // the element's exact bytes, for a dead letter
	msgID string          // as sent; a msg_id that cannot be read is quoted as sent
	tag   string
	order orderMessage
	// refund is the data of tag 206.
	refund refundMessage
	err    error // why the message cannot be decoded; nil when it can
}

// needsDetail returns the order whose detail the message's event needs, or "".
func (m *message) needsDetail() string {
	if m.err != nil {
		return ""
	}
	switch m.tag {
	case tagOrderPaid, tagOrderCancelled:
		return string(m.order.PID)
	}
	return ""
}

// decodeMessage decodes one element; a problem is kept in m.err so the other
// elements of the body still count. msg_id is read first and alone, so that
// whatever else is wrong the message is named as the platform sent it.
func decodeMessage(raw json.RawMessage) *message {
	m := &message{raw: raw}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		m.err = fmt.Errorf("not a {tag, msg_id, data} message: %w", err)
		return m
	}
	var msgID, tag carriedID
	msgIDErr, tagErr := msgID.UnmarshalJSON(env.MsgID), tag.UnmarshalJSON(env.Tag)
	m.msgID, m.tag = string(msgID), string(tag)
	if len(env.MsgID) > 0 && msgIDErr != nil {
		m.msgID, m.err = clip(env.MsgID), fmt.Errorf("msg_id: %w", msgIDErr)
		return m
	}
	if len(env.Tag) > 0 && tagErr != nil {
		m.tag, m.err = clip(env.Tag), fmt.Errorf("tag: %w", tagErr)
		return m
	}
	switch m.tag {
	case "":
		m.err = errors.New("tag is missing")
	case tagOrderCreated, tagOrderPaid, tagOrderShipped, tagOrderCompleted, tagOrderCancelled:
		m.err = decodeData(env.Data, &m.order)
		if m.err == nil && m.order.PID.isZero() {
			m.err = errors.New("data has no p_id")
		}
	case tagRefundSucceeded:
		m.err = decodeData(env.Data, &m.refund)
	}
	return m
}

// toEvent maps a decoded message to its event, or nil for a tag that makes
// none. d is the order's detail for the tags that need one. received stands
// in for a shipment time the push does not carry. An amount or a time out
// of bounds is an error; the event's own Validate checks the rest.
func toEvent(m *message, d *orderDetail, received time.Time) (domain.Event, error) {
	o := m.order
	var c checks
	switch m.tag {
	case tagOrderCreated:
		return &domain.OrderCreated{Platform: Platform, OrderID: string(o.PID), CreatedAt: c.time("create_time", o.CreateTime)}, c.err()
	case tagOrderPaid:
		return paidEvent(d)
	case tagOrderShipped:
		at := c.firstTime("update_time", o.UpdateTime, "ship_time", o.ShipTime)
		if at.IsZero() {
			at = received.In(domain.ChinaTime)
		}
		return &domain.OrderShipped{Platform: Platform, OrderID: string(o.PID), ShippedAt: at}, c.err()
	case tagOrderCompleted:
		at := c.firstTime("complete_time", o.CompleteTime, "update_time", o.UpdateTime)
		return &domain.OrderCompleted{Platform: Platform, OrderID: string(o.PID), CompletedAt: at}, c.err()
	case tagOrderCancelled:
		return cancelledEvent(o, d)
	case tagRefundCreated:
		return nil, nil // the money moves only when the refund succeeds (206)
	case tagRefundSucceeded:
		r := m.refund
		paid := c.amount("refund_amount", r.RefundAmount)
		// Freight refunded with the goods is not goods money: like
		// post_amount on payment, refund_post_amount stays out.
		goods := paid - c.partOf("refund_post_amount", r.RefundPostAmount, "refund_amount", paid)
		return &domain.RefundSucceeded{
			Platform:   Platform,
			OrderID:    string(r.PID),
			LineID:     string(r.SID),
			RefundID:   string(r.AftersaleID),
			AmountFen:  goods,
			RefundedAt: c.time("modify_time", r.ModifyTime),
		}, c.err()
	}
	return nil, nil // a tag this adapter does not map (test pushes, logistics, …)
}

// paidEvent builds OrderPaid from the order's detail: the push says only
// that the order was paid, the detail has its lines.
func paidEvent(d *orderDetail) (*domain.OrderPaid, error) {
	var c checks
	e := &domain.OrderPaid{
		Platform:  Platform,
		OrderID:   string(d.OrderID),
		CreatedAt: c.time("create_time", d.CreateTime),
		PaidAt:    c.time("pay_time", d.PayTime),
		BuyerRef:  string(d.DoudianOpenID),
		Lines:     make([]domain.PaidLine, 0, len(d.SkuOrderList)),
	}
	for i, s := range d.SkuOrderList {
		e.Lines = append(e.Lines, domain.PaidLine{
			LineID:      string(s.OrderID),
			SKUID:       string(s.SkuID),
			ProductName: string(s.ProductName),
			Quantity:    c.count(fmt.Sprintf("sku_order_list[%d].item_num", i), s.ItemNum),
			AmountFen:   c.goods(i, s),
			Livestream:  livestream(s),
		})
	}
	c.orderAddsUp(d)
	return e, detailErr(d, c.err())
}

// detailErr names the order whose detail err is about.
func detailErr(d *orderDetail, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("order %s detail: %w", d.OrderID, err)
}

// cancelledEvent builds OrderCancelled from the push and the order's
// detail, which has the lines a cancellation after payment refunds.
func cancelledEvent(o orderMessage, d *orderDetail) (*domain.OrderCancelled, error) {
	var c, dc checks // the push's, the detail's
	e := &domain.OrderCancelled{
		Platform:    Platform,
		OrderID:     string(o.PID),
		CancelledAt: c.firstTime("cancel_time", o.CancelTime, "update_time", o.UpdateTime),
		WasPaid:     !dc.time("pay_time", d.PayTime).IsZero(),
	}
	for i, s := range d.SkuOrderList {
		e.Lines = append(e.Lines, domain.CancelledLine{LineID: string(s.OrderID), AmountFen: dc.goods(i, s)})
	}
	dc.orderAddsUp(d)
	return e, errors.Join(c.err(), detailErr(d, dc.err()))
}

// livestream is the live room a line was sold in, or nil when room_id is 0.
func livestream(s skuOrder) *domain.LivestreamRef {
	room := s.RoomIDStr
	if room.isZero() {
		room = s.RoomID
	}
	if room.isZero() {
		return nil
	}
	ref := &domain.LivestreamRef{RoomID: string(room), AnchorName: string(s.AuthorName)}
	if s.AuthorID != "" && s.AuthorID != "0" {
		ref.AnchorID = string(s.AuthorID)
	}
	return ref
}
