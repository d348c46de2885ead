package douyinsim

// ShopOrderDetail is an order as order.orderDetail returns it
// (data.shop_order_detail), field for field in the platform's names. Ids the
// platform writes as strings are strings; the others are int64, wide enough
// for ids beyond 2^53. Amounts are fen, times Unix seconds.
type ShopOrderDetail struct {
	OrderID         string `json:"order_id"`
	ShopID          int64  `json:"shop_id"`
	ShopName        string `json:"shop_name"`
	OrderStatus     int    `json:"order_status"`
	OrderStatusDesc string `json:"order_status_desc"`
	OrderType       int    `json:"order_type"`
	Biz             int    `json:"biz"`
	OrderAmount     int64  `json:"order_amount"`
	PayAmount       int64  `json:"pay_amount"`
	PostAmount      int64  `json:"post_amount"`
	PromotionAmount int64  `json:"promotion_amount"`
	CreateTime      int64  `json:"create_time"`
	PayTime         int64  `json:"pay_time"`
	UpdateTime      int64  `json:"update_time"`
	// DoudianOpenID is the buyer's pseudonymous id; the sample has none.
	DoudianOpenID string     `json:"doudian_open_id,omitempty"`
	SkuOrderList  []SkuOrder `json:"sku_order_list"`
}

// SkuOrder is one line (子订单) of an order. PayAmount includes the line's
// freight, PostAmount. RoomID is 0 for a sale outside a live room.
type SkuOrder struct {
	OrderID       string `json:"order_id"`
	ParentOrderID string `json:"parent_order_id"`
	OrderStatus   int    `json:"order_status"`
	SkuID         int64  `json:"sku_id"`
	ProductID     string `json:"product_id"`
	ProductName   string `json:"product_name"`
	ItemNum       int64  `json:"item_num"`
	OriginAmount  int64  `json:"origin_amount"`
	PayAmount     int64  `json:"pay_amount"`
	PostAmount    int64  `json:"post_amount"`
	AuthorID      int64  `json:"author_id"`
	AuthorName    string `json:"author_name"`
	RoomID        int64  `json:"room_id"`
	RoomIDStr     string `json:"room_id_str"`
	CBiz          int    `json:"c_biz"`
	CreateTime    int64  `json:"create_time"`
	PayTime       int64  `json:"pay_time"`
}

// Order statuses the simulator writes (order_status, order_status_desc).
const (
	StatusUnpaid    = 1 // 待支付
	StatusPaid      = 2 // 备货中
	StatusShipped   = 3 // 已发货
	StatusCancelled = 4 // 已取消
	StatusCompleted = 5 // 已完成
)

var statusDesc = map[int]string{
	StatusUnpaid:    "待支付",
	StatusPaid:      "备货中",
	StatusShipped:   "已发货",
	StatusCancelled: "已取消",
	StatusCompleted: "已完成",
}

// answer is the envelope of every API answer.
type answer struct {
	Code    int    `json:"code"`
	Msg     string `json:"msg"`
	SubCode string `json:"sub_code"`
	SubMsg  string `json:"sub_msg"`
	LogID   string `json:"log_id"`
	Data    any    `json:"data"`
}

type detailData struct {
	ShopOrderDetail *ShopOrderDetail `json:"shop_order_detail"`
}
