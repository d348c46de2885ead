package jd

// JD orderState values the adapter maps (jingdong.pop.order.search).
const (
	StateWaitSellerStockOut      = "WAIT_SELLER_STOCK_OUT"      // 等待出库: paid
	StateWaitSellerDelivery      = "WAIT_SELLER_DELIVERY"       // 等待发货 (cross-border shops): paid
	StatePause                   = "PAUSE"                      // 暂停: paid, held
	StatePopOrderPause           = "POP_ORDER_PAUSE"            // POP 业务暂停: paid, held
	StateLocked                  = "LOCKED"                     // 已锁定: paid, held (e.g. a cancellation under review)
	StateWaitGoodsReceiveConfirm = "WAIT_GOODS_RECEIVE_CONFIRM" // 等待确认收货: shipped
	StateFinished                = "FINISHED_L"                 // 完成: received
	StateCanceled                = "TRADE_CANCELED"             // 取消
)

// rank orders an order's states along its life: a state of lower rank than
// one already seen is a step backwards.
type rank int8

const (
	rankPaid rank = iota + 1
	rankShipped
	rankCompleted
	rankCancelled
)

var stateRanks = map[string]rank{
	StateWaitSellerStockOut:      rankPaid,
	StateWaitSellerDelivery:      rankPaid,
	StatePause:                   rankPaid,
	StatePopOrderPause:           rankPaid,
	StateLocked:                  rankPaid,
	StateWaitGoodsReceiveConfirm: rankShipped,
	StateFinished:                rankCompleted,
	StateCanceled:                rankCancelled,
}

// stateMemory remembers the highest-ranked state seen per order, for at
// most max orders: when full it forgets the order remembered first. It is
// not safe for concurrent use; the poller uses it from one goroutine.
type stateMemory struct {
	max   int
	ranks map[string]stateSeen
	fifo  []string // ring of remembered order ids, oldest at next
	next  int
}

type stateSeen struct {
	rank  rank
	state string
}

func newStateMemory(max int) *stateMemory {
	return &stateMemory{max: max, ranks: make(map[string]stateSeen)}
}

// observe records state for order and reports the state already seen when
// the new one is of a lower rank (a step backwards, not recorded).
func (m *stateMemory) observe(order, state string, r rank) (earlier string, backwards bool) {
	if seen, ok := m.ranks[order]; ok {
		if r < seen.rank {
			return seen.state, true
		}
		m.ranks[order] = stateSeen{r, state}
		return "", false
	}
	if len(m.fifo) < m.max {
		m.fifo = append(m.fifo, order)
	} else {
		delete(m.ranks, m.fifo[m.next])
		m.fifo[m.next] = order
		m.next = (m.next + 1) % m.max
	}
	m.ranks[order] = stateSeen{r, state}
	return "", false
}
