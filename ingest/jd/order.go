package jd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// Platform is the platform name written into every event.
const Platform = "jd"

// text is a JSON scalar kept as its exact text: JD writes amounts, counts
// and ids as strings, sometimes as numbers; neither passes through float64.
// set is false when the key is missing or null.
type text struct {
	s   string
	set bool
}

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*t = text{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text{s: strings.TrimSpace(s), set: true}
		return nil
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*t = text{s: string(b), set: true}
		return nil
	}
	return fmt.Errorf("%s is not a string or number", b)
}

// orderInfo is one element of orderInfoList, with the fields the events need.
type orderInfo struct {
	OrderID            text       `json:"orderId"`
	OrderState         string     `json:"orderState"`
	OrderTotalPrice    text       `json:"orderTotalPrice"`
	OrderSellerPrice   text       `json:"orderSellerPrice"`
	SellerDiscount     text       `json:"sellerDiscount"`
	FreightPrice       text       `json:"freightPrice"`
	OrderStartTime     string     `json:"orderStartTime"`
	PaymentConfirmTime string     `json:"paymentConfirmTime"`
	Modified           string     `json:"modified"`
	ItemInfoList       []itemInfo `json:"itemInfoList"`
}

type itemInfo struct {
	SkuID     text   `json:"skuId"`
	SkuName   string `json:"skuName"`
	JdPrice   text   `json:"jdPrice"`
	ItemTotal text   `json:"itemTotal"`
}

// decodedOrder is an order whose events were built, with its id and
// state, for the poller to keep track of it.
type decodedOrder = polling.Decoded[string]

// orderError says why one order of a page cannot be used; id is "" when the
// order has none.
func orderError(id string, err error) *polling.OrderError {
	return &polling.OrderError{Platform: Platform, IDName: "orderId", ID: id, Err: err}
}

// decodeOrder decodes one orderInfoList element and maps it to events; see
// README.md for the mapping.
func decodeOrder(raw json.RawMessage) (decodedOrder, error) {
	var o orderInfo
	if err := json.Unmarshal(raw, &o); err != nil {
		// The id may still be readable, for the dead letter's reason.
		var idOnly struct {
			OrderID text `json:"orderId"`
		}
		_ = json.Unmarshal(raw, &idOnly)
		return decodedOrder{}, orderError(idOnly.OrderID.s, fmt.Errorf("not an orderInfoList element: %w", err))
	}
	d, err := o.toEvents()
	if err != nil {
		return decodedOrder{}, orderError(o.OrderID.s, err)
	}
	return *d, nil
}

func (o *orderInfo) toEvents() (*decodedOrder, error) {
	id := o.OrderID.s
	if id == "" || strings.ContainsAny(id, " \t\r\n/") {
		return nil, fmt.Errorf("orderId %q is missing or not an id", id)
	}
	r, known := stateRanks[o.OrderState]
	if !known {
		return nil, fmt.Errorf("orderState %q is not a state the adapter maps", o.OrderState)
	}
	created, err := requiredTime("orderStartTime", o.OrderStartTime)
	if err != nil {
		return nil, err
	}
	modified, err := requiredTime("modified", o.Modified)
	if err != nil {
		return nil, err
	}
	var paidAt time.Time
	if o.PaymentConfirmTime != "" {
		if paidAt, err = domain.ParseChinaTime(o.PaymentConfirmTime); err != nil {
			return nil, fmt.Errorf("paymentConfirmTime: %w", err)
		}
		if paidAt.Before(created) {
			return nil, fmt.Errorf("paid at %s, before it was placed at %s", o.PaymentConfirmTime, o.OrderStartTime)
		}
	}
	if modified.Before(created) {
		return nil, fmt.Errorf("modified %s is before orderStartTime %s", o.Modified, o.OrderStartTime)
	}

	d := &decodedOrder{ID: id, State: o.OrderState}
	d.Events = append(d.Events, &domain.OrderCreated{Platform: Platform, OrderID: id, CreatedAt: created})
	var lines []domain.PaidLine
	if !paidAt.IsZero() {
		if lines, err = o.paidLines(); err != nil {
			return nil, err
		}
		d.Events = append(d.Events, &domain.OrderPaid{Platform: Platform, OrderID: id, CreatedAt: created, PaidAt: paidAt, Lines: lines})
	}
	switch r {
	case rankShipped:
		d.Events = append(d.Events, &domain.OrderShipped{Platform: Platform, OrderID: id, ShippedAt: modified})
	case rankCompleted:
		d.Events = append(d.Events, &domain.OrderCompleted{Platform: Platform, OrderID: id, CompletedAt: modified})
	case rankCancelled:
		c := &domain.OrderCancelled{Platform: Platform, OrderID: id, CancelledAt: modified, WasPaid: !paidAt.IsZero()}
		for _, l := range lines {
			c.Lines = append(c.Lines, domain.CancelledLine{LineID: l.LineID, AmountFen: l.AmountFen})
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

// paidLines builds the goods lines of a paid order. A line's amount is
// jdPrice × itemTotal less its part of sellerDiscount, which is spread over
// the lines in proportion to their totals (largest remainder, ties to the
// earlier line); the lines then add up to orderSellerPrice, freight
// excluded, or the order is refused.
func (o *orderInfo) paidLines() ([]domain.PaidLine, error) {
	if len(o.ItemInfoList) == 0 {
		return nil, errors.New("a paid order has no items (itemInfoList is empty)")
	}
	discount, err := amount("sellerDiscount", o.SellerDiscount)
	if err != nil {
		return nil, err
	}
	sellerPrice, err := amount("orderSellerPrice", o.OrderSellerPrice)
	if err != nil {
		return nil, err
	}
	totals := make([]int64, len(o.ItemInfoList))
	qtys := make([]int64, len(o.ItemInfoList))
	skuCount := map[string]int{}
	var sum int64
	for i, it := range o.ItemInfoList {
		if it.SkuID.s == "" {
			return nil, fmt.Errorf("item %d: skuId is missing", i)
		}
		skuCount[it.SkuID.s]++
		price, err := amount(fmt.Sprintf("item %s jdPrice", it.SkuID.s), it.JdPrice)
		if err != nil {
			return nil, err
		}
		qty, err := strconv.ParseInt(it.ItemTotal.s, 10, 64)
		if err != nil || qty <= 0 {
			return nil, fmt.Errorf("item %s: itemTotal %q is not a positive count", it.SkuID.s, it.ItemTotal.s)
		}
		if price < 0 || int64(price) > math.MaxInt64/qty || sum > math.MaxInt64-int64(price)*qty {
			return nil, fmt.Errorf("item %s: jdPrice %s × itemTotal %d is out of range", it.SkuID.s, it.JdPrice.s, qty)
		}
		totals[i], qtys[i] = int64(price)*qty, qty
		sum += totals[i]
	}
	if discount < 0 || int64(discount) > sum {
		return nil, fmt.Errorf("sellerDiscount %s is not between 0 and the goods total %s", discount, domain.Fen(sum))
	}
	parts := make([]domain.Fen, len(totals))
	if discount > 0 {
		if parts, err = domain.SplitLargestRemainder(discount, totals); err != nil {
			return nil, fmt.Errorf("spreading sellerDiscount: %w", err)
		}
	}
	if got := domain.Fen(sum) - discount; got != sellerPrice {
		return nil, fmt.Errorf("items add up to %s less sellerDiscount %s = %s, but orderSellerPrice is %s", domain.Fen(sum), discount, got, sellerPrice)
	}
	lines := make([]domain.PaidLine, len(totals))
	for i, it := range o.ItemInfoList {
		lineID := it.SkuID.s
		if skuCount[lineID] > 1 {
			lineID += "-" + strconv.Itoa(i+1)
		}
		lines[i] = domain.PaidLine{
			LineID:      lineID,
			SKUID:       it.SkuID.s,
			ProductName: it.SkuName,
			Quantity:    qtys[i],
			AmountFen:   domain.Fen(totals[i]) - parts[i],
		}
	}
	return lines, nil
}

func amount(name string, t text) (domain.Fen, error) {
	if !t.set {
		return 0, fmt.Errorf("%s is missing", name)
	}
	v, err := domain.ParseYuan(t.s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

func requiredTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is missing", name)
	}
	t, err := domain.ParseChinaTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}
