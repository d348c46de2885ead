package douyinsim

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"
)

// details renders each order in its final state, as order.orderDetail
// would answer at the end of the simulation.
func (g *generator) details(orders []*planOrder) []ShopOrderDetail {
	out := make([]ShopOrderDetail, len(orders))
	for i, o := range orders {
		status, updated := StatusUnpaid, o.created
		for _, s := range []struct {
			at     time.Time
			status int
		}{{o.paid, StatusPaid}, {o.shipped, StatusShipped}, {o.completed, StatusCompleted}, {o.cancelled, StatusCancelled}} {
			if !s.at.IsZero() {
				status = s.status
				updated = latest(updated, s.at)
			}
		}
		if o.refund != nil {
			updated = latest(updated, o.refund.refund)
		}
		d := ShopOrderDetail{
			OrderID:         strconv.FormatInt(o.pid, 10),
			ShopID:          g.opts.ShopID,
			ShopName:        g.opts.ShopName,
			OrderStatus:     status,
			OrderStatusDesc: statusDesc[status],
			Biz:             2,
			CreateTime:      o.created.Unix(),
			PayTime:         unixOrZero(o.paid),
			UpdateTime:      updated.Unix(),
			DoudianOpenID:   o.buyer,
		}
		for _, l := range o.lines {
			s := SkuOrder{
				OrderID:       strconv.FormatInt(l.sid, 10),
				ParentOrderID: d.OrderID,
				OrderStatus:   status,
				SkuID:         l.skuID,
				ProductID:     strconv.FormatInt(l.skuID%10_000_000_000, 10),
				ProductName:   l.sku.Name,
				ItemNum:       l.qty,
				OriginAmount:  l.origin,
				PayAmount:     l.pay(),
				PostAmount:    l.post,
				CBiz:          1,
				CreateTime:    d.CreateTime,
				PayTime:       d.PayTime,
			}
			if o.live {
				s.AuthorID, s.AuthorName = g.opts.AnchorID, g.opts.AnchorName
				s.RoomID, s.RoomIDStr = g.opts.RoomID, strconv.FormatInt(g.opts.RoomID, 10)
				s.CBiz = 8
			}
			d.OrderAmount += l.origin + l.post
			d.PayAmount += l.pay()
			d.PostAmount += l.post
			d.PromotionAmount += l.promo
			d.SkuOrderList = append(d.SkuOrderList, s)
		}
		out[i] = d
	}
	return out
}

// messages schedules every push of every order: each message a few seconds
// after what it reports, a share of them a second time minutes later, all
// in time order.
func (g *generator) messages(orders []*planOrder) []Message {
	var out []Message
	seq := int64(0)
	add := func(o *planOrder, tag string, at time.Time, data any) {
		b, _ := json.Marshal(data) // plain structs always marshal
		seq++
		m := Message{
			Tag:     tag,
			MsgID:   strconv.FormatInt(msgIDBase+g.idBase+seq, 10),
			Data:    string(b),
			At:      g.between(at, time.Second, 6*time.Second),
			OrderID: strconv.FormatInt(o.pid, 10),
		}
		out = append(out, m)
		if g.opts.DuplicatePercent > 0 && g.rng.IntN(100) < g.opts.DuplicatePercent {
			m.At = g.between(m.At, 20*time.Second, 10*time.Minute)
			out = append(out, m)
		}
	}
	shop := g.opts.ShopID
	for _, o := range orders {
		sids := o.sids()
		add(o, "100", o.created, createdData{PID: o.pid, SIDs: sids, ShopID: shop, Status: StatusUnpaid, Biz: 2, CreateTime: o.created.Unix()})
		if !o.paid.IsZero() {
			var amount int64
			for _, l := range o.lines {
				amount += l.pay()
			}
			add(o, "101", o.paid, paidData{PID: o.pid, SIDs: sids, ShopID: shop, Status: StatusPaid, PayType: 1, PayTime: o.paid.Unix(), PayAmount: amount, Biz: 2})
		}
		if !o.cancelled.IsZero() {
			reason := "超时未支付"
			if !o.paid.IsZero() {
				reason = "买家取消"
			}
			add(o, "106", o.cancelled, cancelledData{PID: o.pid, SIDs: sids, ShopID: shop, Status: StatusCancelled, CancelReason: reason, CancelTime: o.cancelled.Unix()})
		}
		if r := o.refund; r != nil {
			base := refundData{AftersaleID: r.aftersaleID, AftersaleType: 2, PID: o.pid, SID: o.lines[r.line].sid, ShopID: shop,
				RefundAmount: r.amount, RefundPostAmount: r.post, ReasonCode: 3}
			created, done := base, base
			created.AftersaleStatus, created.ApplyTime = 6, r.applied.Unix()
			done.AftersaleStatus, done.ModifyTime = 12, r.refund.Unix()
			add(o, "200", r.applied, created)
			add(o, "206", r.refund, done)
		}
		if !o.shipped.IsZero() {
			add(o, "102", o.shipped, shippedData{PID: o.pid, SIDs: sids, ShopID: shop, Status: StatusShipped, UpdateTime: o.shipped.Unix()})
		}
		if !o.completed.IsZero() {
			add(o, "103", o.completed, completedData{PID: o.pid, SIDs: sids, ShopID: shop, Status: StatusCompleted, CompleteTime: o.completed.Unix()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
