package file

import (
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// ordersKind: one order line paid or refunded per row.
var ordersKind = &kind{
	name:     KindOrders,
	required: []string{"platform", "order_id", "line_no", "sku_id", "quantity", "amount", "event", "occurred_at"},
	optional: []string{"room_id", "refund_id"},
	headers: map[string]string{
		"平台": "platform", "销售平台": "platform",
		"订单号": "order_id", "订单编号": "order_id", "订单ID": "order_id",
		"行号": "line_no", "子订单号": "line_no", "子订单编号": "line_no", "商品行号": "line_no",
		"商品编码": "sku_id", "商品编号": "sku_id", "SKU": "sku_id", "SKU编码": "sku_id", "商品ID": "sku_id",
		"数量": "quantity", "商品数量": "quantity",
		"金额": "amount", "实付金额": "amount", "支付金额": "amount", "退款金额": "amount", "金额（元）": "amount", "金额(元)": "amount",
		"事件": "event", "类型": "event", "状态": "event", "订单状态": "event",
		"时间": "occurred_at", "发生时间": "occurred_at", "支付时间": "occurred_at", "日期": "occurred_at",
		"直播间": "room_id", "直播间ID": "room_id", "直播间号": "room_id",
		"退款单号": "refund_id", "退款编号": "refund_id", "售后单号": "refund_id", "售后单ID": "refund_id", "售后编号": "refund_id",
	},
	build: orderEvent,
}

func orderEvent(r record) (domain.Event, problems) {
	var p problems
	platform := required(r, "platform", &p)
	orderID := id(r, "order_id", true, &p)
	lineID := id(r, "line_no", true, &p)
	fen, fenOK := amount(r, "amount", &p)
	at := timestamp(r, "occurred_at", &p)
	switch ev := r.get("event"); ev {
	case "paid":
		sku := id(r, "sku_id", true, &p)
		room := id(r, "room_id", false, &p)
		qty := quantity(r, "quantity", true, &p)
		if fenOK && fen < 0 {
			p.addf("amount %q: a payment cannot be negative", r.get("amount"))
		}
		if len(p) > 0 {
			return nil, p
		}
		line := domain.PaidLine{LineID: lineID, SKUID: sku, Quantity: qty, AmountFen: fen}
		if room != "" {
			line.Livestream = &domain.LivestreamRef{RoomID: room}
		}
		// A file row is a paid line; the export has no separate creation time.
		return &domain.OrderPaid{Platform: platform, OrderID: orderID, CreatedAt: at, PaidAt: at,
			Lines: []domain.PaidLine{line}}, nil
	case "refunded":
		quantity(r, "quantity", false, &p) // unused by the event, but a bad value means a broken row
		refund := id(r, "refund_id", false, &p)
		if fenOK && fen <= 0 {
			p.addf("amount %q: a refund must be more than zero", r.get("amount"))
		}
		if len(p) > 0 {
			return nil, p
		}
		return &domain.RefundSucceeded{Platform: platform, OrderID: orderID, LineID: lineID,
			RefundID: refundID(refund, lineID, at), AmountFen: fen, RefundedAt: at}, nil
	case "cancelled":
		// A cancellation refunds the whole order, but a file row is one line:
		// the export writes each line's refund as its own event=refunded row.
		p.addf(`event "cancelled": not supported in files; write one event=refunded row per line refunded`)
	case "":
		p.addf("event: missing")
	default:
		p.addf("event %q: unknown (want paid or refunded)", ev)
	}
	return nil, p
}

// refundID identifies a refund row: the platform's refund (after-sale)
// number when the file has a refund_id column, so a refund both pushed by
// the platform and imported counts once; otherwise, since most exports do
// not number refunds, the line and the instant (normalised to China time,
// so "+08:00" and "Z" spellings agree). The amount is not part of it: a
// re-import whose row corrects a refund's amount names the same refund,
// and the projector lists it as a conflict instead of counting a second
// refund. Importing the row again gives the same id and so the same event.
func refundID(refund, lineID string, at time.Time) string {
	if refund != "" {
		return refund
	}
	return "file:" + lineID + ":" + at.In(domain.ChinaTime).Format(time.RFC3339Nano)
}
