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
	raw    json.RawMessage // the element's exact bytes, for a dead letter
	msgID  string
	tag    string
	order  orderMessage
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
// elements of the body still count.
func decodeMessage(raw json.RawMessage) *message {
	m := &message{raw: raw}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		m.err = fmt.Errorf("not a {tag, msg_id, data} message: %w", err)
		return m
	}
	m.msgID, m.tag = string(env.MsgID), string(env.Tag)
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
// in for a shipment time the push does not carry.
func toEvent(m *message, d *orderDetail, received time.Time) domain.Event {
	o := m.order
	switch m.tag {
	case tagOrderCreated:
		return &domain.OrderCreated{Platform: Platform, OrderID: string(o.PID), CreatedAt: unixTime(o.CreateTime)}
	case tagOrderPaid:
		return paidEvent(d)
	case tagOrderShipped:
		at := firstTime(o.UpdateTime, o.ShipTime)
		if at.IsZero() {
			at = received.In(domain.ChinaTime)
		}
		return &domain.OrderShipped{Platform: Platform, OrderID: string(o.PID), ShippedAt: at}
	case tagOrderCompleted:
		return &domain.OrderCompleted{Platform: Platform, OrderID: string(o.PID), CompletedAt: firstTime(o.CompleteTime, o.UpdateTime)}
	case tagOrderCancelled:
		e := &domain.OrderCancelled{
			Platform:    Platform,
			OrderID:     string(o.PID),
			CancelledAt: firstTime(o.CancelTime, o.UpdateTime),
			WasPaid:     d.PayTime > 0,
		}
		for _, s := range d.SkuOrderList {
			e.Lines = append(e.Lines, domain.CancelledLine{LineID: string(s.OrderID), AmountFen: s.goodsAmount()})
		}
		return e
	case tagRefundCreated:
		return nil // the money moves only when the refund succeeds (206)
	case tagRefundSucceeded:
		r := m.refund
		return &domain.RefundSucceeded{
			Platform: Platform,
			OrderID:  string(r.PID),
			LineID:   string(r.SID),
			RefundID: string(r.AftersaleID),
			// Freight refunded with the goods is not goods money: like
			// post_amount on payment, refund_post_amount stays out.
			AmountFen:  domain.Fen(r.RefundAmount - r.RefundPostAmount),
			RefundedAt: unixTime(r.ModifyTime),
		}
	}
	return nil // a tag this adapter does not map (test pushes, logistics, …)
}

// paidEvent builds OrderPaid from the order's detail: the push says only
// that the order was paid, the detail has its lines.
func paidEvent(d *orderDetail) *domain.OrderPaid {
	e := &domain.OrderPaid{
		Platform:  Platform,
		OrderID:   string(d.OrderID),
		CreatedAt: unixTime(d.CreateTime),
		PaidAt:    unixTime(d.PayTime),
		BuyerRef:  d.DoudianOpenID,
		Lines:     make([]domain.PaidLine, 0, len(d.SkuOrderList)),
	}
	for _, s := range d.SkuOrderList {
		e.Lines = append(e.Lines, domain.PaidLine{
			LineID:      string(s.OrderID),
			SKUID:       string(s.SkuID),
			ProductName: s.ProductName,
			Quantity:    int64(s.ItemNum),
			AmountFen:   s.goodsAmount(),
			Livestream:  livestream(s),
		})
	}
	return e
}

// livestream is the live room a line was sold in, or nil when room_id is 0.
func livestream(s skuOrder) *domain.LivestreamRef {
	room := s.RoomIDStr
	if room == "" || room == "0" {
		room = string(s.RoomID)
	}
	if id(room).isZero() {
		return nil
	}
	ref := &domain.LivestreamRef{RoomID: room, AnchorName: s.AuthorName}
	if !s.AuthorID.isZero() {
		ref.AnchorID = string(s.AuthorID)
	}
	return ref
}
