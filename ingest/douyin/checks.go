package douyin

import (
	"errors"
	"fmt"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// maxQuantity bounds a line's item_num.
const maxQuantity = 1_000_000_000

// checks collects the problems of one message's amounts, counts and times
// while its event is built, so the message is rejected naming all of them.
// The event's own Validate then checks what is missing.
type checks struct{ errs []error }

func (c *checks) err() error { return errors.Join(c.errs...) }

func (c *checks) addf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

// time converts Douyin's Unix seconds to China time. 0 (absent) is the zero
// time, which the events' Validate reports as missing.
func (c *checks) time(name string, secs integer) time.Time {
	if secs == 0 {
		return time.Time{}
	}
	if int64(secs) < minUnixTime || int64(secs) >= maxUnixTime {
		c.addf("%s %d is not a time from 2000 to 2100", name, secs)
		return time.Time{}
	}
	return time.Unix(int64(secs), 0).In(domain.ChinaTime)
}

// firstTime returns the first of two times that is given; both are checked.
func (c *checks) firstTime(name1 string, secs1 integer, name2 string, secs2 integer) time.Time {
	t1, t2 := c.time(name1, secs1), c.time(name2, secs2)
	if !t1.IsZero() {
		return t1
	}
	return t2
}

// amount checks an amount in fen.
func (c *checks) amount(name string, fen integer) domain.Fen {
	if fen < 0 || fen > maxAmountFen {
		c.addf("%s %d is not an amount from 0 to %d fen", name, fen, maxAmountFen)
		return 0
	}
	return domain.Fen(fen)
}

// partOf checks an amount that is part of another, such as the freight
// within a payment.
func (c *checks) partOf(name string, fen integer, wholeName string, whole domain.Fen) domain.Fen {
	part := c.amount(name, fen)
	if part > whole {
		c.addf("%s %d fen exceeds %s %d fen", name, part, wholeName, whole)
		return 0
	}
	return part
}

// count checks a number of items.
func (c *checks) count(name string, n integer) int64 {
	if n < 0 || n > maxQuantity {
		c.addf("%s %d is not a count from 0 to %d", name, n, maxQuantity)
		return 0
	}
	return int64(n)
}

// goods is what the buyer paid for line i's goods: its pay_amount less the
// freight within it, post_amount.
func (c *checks) goods(i int, s skuOrder) domain.Fen {
	pay := c.amount(fmt.Sprintf("sku_order_list[%d].pay_amount", i), s.PayAmount)
	return pay - c.partOf(fmt.Sprintf("sku_order_list[%d].post_amount", i), s.PostAmount, "its pay_amount", pay)
}

// orderAddsUp checks, when the detail states the order's pay_amount, that
// its lines' goods add up to it less the order's post_amount. This holds
// whether the platform spreads the freight over the lines or keeps it on
// the order alone; lines that do not add up are a garbled detail, and
// counting them would count money the buyer did not pay. Call it after the
// lines are checked: it adds only when they are sound.
func (c *checks) orderAddsUp(d *orderDetail) {
	if d.PayAmount == nil || len(c.errs) > 0 {
		return
	}
	pay := c.amount("pay_amount", *d.PayAmount)
	var post integer
	if d.PostAmount != nil {
		post = *d.PostAmount
	}
	want := pay - c.partOf("post_amount", post, "pay_amount", pay)
	var sum domain.Fen // at most maxDetailBytes/10 lines of maxAmountFen: no overflow
	for _, s := range d.SkuOrderList {
		sum += domain.Fen(s.PayAmount - s.PostAmount)
	}
	if len(c.errs) == 0 && sum != want {
		c.addf("the lines' goods add up to %d fen, the order's pay_amount less post_amount is %d fen", sum, want)
	}
}
