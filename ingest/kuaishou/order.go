package kuaishou

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Platform is the platform name written into every event.
const Platform = "kuaishou"

// id is a 64-bit id read from its JSON token, as a number or a digit
// string, never through float64 (oids exceed 2^53). "0" means none.
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*i = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("id %s is not a non-negative 64-bit integer", b)
	}
	*i = id(strconv.FormatInt(n, 10))
	return nil
}

func (i id) isZero() bool { return i == "" || i == "0" }

// order is one element of orderList, with the fields the events need.
// Amounts are fen and decode into int64: a fraction is an error, not a
// rounding.
type order struct {
	Base *struct {
		Oid         id     `json:"oid"`
		Status      *int   `json:"status"`
		TotalFee    *int64 `json:"totalFee"`
		DiscountFee int64  `json:"discountFee"`
		ExpressFee  *int64 `json:"expressFee"`
		PayTime     int64  `json:"payTime"`
		CreateTime  int64  `json:"createTime"`
		UpdateTime  int64  `json:"updateTime"`
		SendTime    int64  `json:"sendTime"`
		RecvTime    int64  `json:"recvTime"`
		BuyerOpenID string `json:"buyerOpenId"`
	} `json:"orderBaseInfo"`
	Item *struct {
		ItemID    id     `json:"itemId"`
		SkuID     id     `json:"skuId"`
		ItemTitle string `json:"itemTitle"`
		Num       int64  `json:"num"`
		Price     int64  `json:"price"`
	} `json:"orderItemInfo"`
	Cps *struct {
		DistributorID   id     `json:"distributorId"`
		DistributorName string `json:"distributorName"`
	} `json:"orderCpsInfo"`
}

// decodedOrder is an order whose events were built, with its id and
// status, for the poller to keep track of it.
type decodedOrder = polling.Decoded[int]

// orderError says why one order of a page cannot be used; id is "" when the
// order has none.
func orderError(id string, err error) *polling.OrderError {
	return &polling.OrderError{Platform: Platform, IDName: "oid", ID: id, Err: err}
}

// decodeOrder decodes one orderList element and maps it to events; see
// README.md for the mapping.
func decodeOrder(raw json.RawMessage) (decodedOrder, error) {
	var o order
	if err := json.Unmarshal(raw, &o); err != nil {
		var idOnly struct {
			Base struct {
				Oid json.RawMessage `json:"oid"`
			} `json:"orderBaseInfo"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		var oid id
		_ = oid.UnmarshalJSON(idOnly.Base.Oid)
		return decodedOrder{}, orderError(string(oid), fmt.Errorf("not an orderList element: %w", err))
	}
	if o.Base == nil {
		return decodedOrder{}, orderError("", errors.New("orderBaseInfo is missing"))
	}
	d, err := o.toEvents()
	if err != nil {
		return decodedOrder{}, orderError(string(o.Base.Oid), err)
	}
	return *d, nil
}

func (o *order) toEvents() (*decodedOrder, error) {
	b := o.Base
	if b.Oid.isZero() {
		return nil, errors.New("oid is missing")
	}
	oid := string(b.Oid)
	if b.Status == nil {
		return nil, errors.New("status is missing")
	}
	status := *b.Status
	if _, ok := statusRanks[status]; !ok {
		return nil, fmt.Errorf("status %d is not a status the adapter maps", status)
	}
	if b.CreateTime <= 0 || b.UpdateTime <= 0 {
		return nil, fmt.Errorf("createTime %d or updateTime %d is missing", b.CreateTime, b.UpdateTime)
	}
	paid := b.PayTime > 0
	switch {
	case status == StatusUnpaid && paid:
		return nil, fmt.Errorf("status %d (unpaid) but payTime is %d", status, b.PayTime)
	case status != StatusUnpaid && status != StatusClosed && !paid:
		return nil, fmt.Errorf("status %d says paid but payTime is missing", status)
	case paid && b.PayTime < b.CreateTime:
		return nil, fmt.Errorf("paid at %d, before it was placed at %d", b.PayTime, b.CreateTime)
	}

	d := &decodedOrder{ID: oid, State: status}
	d.Events = append(d.Events, &domain.OrderCreated{Platform: Platform, OrderID: oid, CreatedAt: msTime(b.CreateTime)})
	var line domain.PaidLine
	if paid {
		var err error
		if line, err = o.paidLine(); err != nil {
			return nil, err
		}
		d.Events = append(d.Events, &domain.OrderPaid{
			Platform: Platform, OrderID: oid, CreatedAt: msTime(b.CreateTime), PaidAt: msTime(b.PayTime),
			BuyerRef: b.BuyerOpenID, Lines: []domain.PaidLine{line},
		})
	}
	switch {
	case b.SendTime > 0 && status >= StatusShipped:
		d.Events = append(d.Events, &domain.OrderShipped{Platform: Platform, OrderID: oid, ShippedAt: msTime(b.SendTime)})
	case status == StatusShipped:
		d.Events = append(d.Events, &domain.OrderShipped{Platform: Platform, OrderID: oid, ShippedAt: msTime(b.UpdateTime)})
	}
	switch status {
	case StatusReceived, StatusSucceeded:
		at := b.RecvTime
		if at <= 0 {
			at = b.UpdateTime
		}
		d.Events = append(d.Events, &domain.OrderCompleted{Platform: Platform, OrderID: oid, CompletedAt: msTime(at)})
	case StatusClosed:
		c := &domain.OrderCancelled{Platform: Platform, OrderID: oid, CancelledAt: msTime(b.UpdateTime), WasPaid: paid}
		if paid {
			c.Lines = []domain.CancelledLine{{LineID: line.LineID, AmountFen: line.AmountFen}}
		}
		d.Events = append(d.Events, c)
	}
	var errs []error
	for _, e := range d.Events {
		if err := e.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.Type(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// paidLine is the order's one goods line: what the buyer paid (totalFee,
// discounts already taken off) less freight (expressFee).
func (o *order) paidLine() (domain.PaidLine, error) {
	b, it := o.Base, o.Item
	if it == nil {
		return domain.PaidLine{}, errors.New("a paid order has no orderItemInfo")
	}
	if it.SkuID.isZero() {
		return domain.PaidLine{}, errors.New("orderItemInfo.skuId is missing")
	}
	if it.Num <= 0 {
		return domain.PaidLine{}, fmt.Errorf("orderItemInfo.num %d is not a positive count", it.Num)
	}
	if b.TotalFee == nil || b.ExpressFee == nil {
		return domain.PaidLine{}, errors.New("totalFee or expressFee is missing")
	}
	if *b.ExpressFee < 0 || *b.TotalFee < *b.ExpressFee || b.DiscountFee < 0 || it.Price < 0 {
		return domain.PaidLine{}, fmt.Errorf("amounts out of range: totalFee %d, expressFee %d, discountFee %d, price %d fen", *b.TotalFee, *b.ExpressFee, b.DiscountFee, it.Price)
	}
	l := domain.PaidLine{
		LineID:      string(b.Oid),
		SKUID:       string(it.SkuID),
		ProductName: it.ItemTitle,
		Quantity:    it.Num,
		AmountFen:   domain.Fen(*b.TotalFee - *b.ExpressFee),
	}
	if c := o.Cps; c != nil && !c.DistributorID.isZero() {
		l.Livestream = &domain.LivestreamRef{RoomID: string(c.DistributorID), AnchorName: c.DistributorName}
	}
	return l, nil
}

func msTime(ms int64) time.Time { return time.UnixMilli(ms).In(domain.ChinaTime) }
