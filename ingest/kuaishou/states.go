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
