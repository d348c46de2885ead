package kuaishou

// Order statuses (orderBaseInfo.status) the adapter maps.
const (
	StatusUnpaid    = 10 // 待付款
	StatusPaid      = 30 // 已付款
	StatusShipped   = 40 // 已发货
	StatusReceived  = 50 // 已收货
	StatusSucceeded = 70 // 交易成功
	StatusClosed    = 80 // 交易关闭
)

// rank orders the statuses along an order's life: a status of lower rank
// than one already seen is a step backwards.
var statusRanks = map[int]int{
	StatusUnpaid:    0,
	StatusPaid:      1,
	StatusShipped:   2,
	StatusReceived:  3,
	StatusSucceeded: 4,
	StatusClosed:    5,
}

// stateMemory remembers the highest-ranked status seen per order, for at
// most max orders: when full it forgets the order remembered first. It is
// not safe for concurrent use; the poller uses it from one goroutine.
type stateMemory struct {
	max    int
	status map[string]int
	fifo   []string // ring of remembered order ids, oldest at next
	next   int
}

func newStateMemory(max int) *stateMemory {
	return &stateMemory{max: max, status: make(map[string]int)}
}

// observe records status for order and reports the status already seen
// when the new one ranks lower (a step backwards, not recorded).
func (m *stateMemory) observe(order string, status int) (earlier int, backwards bool) {
	if seen, ok := m.status[order]; ok {
		if statusRanks[status] < statusRanks[seen] {
			return seen, true
		}
		m.status[order] = status
		return 0, false
	}
	if len(m.fifo) < m.max {
		m.fifo = append(m.fifo, order)
	} else {
		delete(m.status, m.fifo[m.next])
		m.fifo[m.next] = order
		m.next = (m.next + 1) % m.max
	}
	m.status[order] = status
	return 0, false
}
