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
