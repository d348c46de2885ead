package export

import "strings"

// labels are the Chinese headers of the API's JSON fields. A field
// without one is exported under its JSON name (TestListHeadersAreChinese
// catches the lists that would show one).
var labels = map[string]string{
	// ids and names
	"id":            "编号",
	"household_id":  "农户编号",
	"village_id":    "村编号",
	"enterprise_id": "企业编号",
	"livestream_id": "直播编号",
	"name":          "名称",
	"party_branch":  "党支部",
	"town":          "乡镇",
	"category":      "类别",
	"platform":      "平台",
	"room_id":       "直播间号",
	"anchor_name":   "主播",
	"sku_id":        "SKU编号",
	"product_name":  "商品名称",
	"product":       "商品",
	// money
	"gmv_fen":                  "成交额",
	"refunds_fen":              "退款额",
	"net_fen":                  "净销售额",
	"unattributed_fen":         "未归属销售额",
	"enterprise_share_fen":     "企业分成",
	"collective_income_fen":    "村集体收入",
	"attributed_sales_fen":     "带货分成收入",
	"product_sales_fen":        "产品净销售额",
	"baseline_income_fen":      "基线年收入",
	"recorded_income_fen":      "登记收入",
	"income_gain_fen":          "增收",
	"trailing_365d_income_fen": "近365天收入",
	"prior_365d_income_fen":    "前365天收入",
	"reasons":                  "监测原因",
	"per_capita_income_fen":    "人均年收入",
	"monitoring_line_fen":      "监测线",
	"households_fen":           "农户分成",
	"collective_fen":           "村集体分成",
	"income_by_category":       "",
	"operating_fen":            "经营性收入",
	"wage_fen":                 "工资性收入",
	"property_fen":             "财产性收入",
	"transfer_fen":             "转移性收入",
	// counts and rates
	"members":               "家庭人口",
	"orders":                "订单数",
	"refunded_orders":       "退款订单数",
	"buyers":                "买家数",
	"lines":                 "订单行数",
	"households":            "户数",
	"households_reached":    "带动户数",
	"below_monitoring_line": "低于监测线",
	"refund_rate":           "退款率",
	"orders_per_minute":     "每分钟订单数",
	"first_order_at":        "首单时间",
	"last_order_at":         "末单时间",
	"first_at":              "首次出现",
	"last_at":               "最近出现",
	// dead letters and conflicts
	"source":       "来源",
	"reason":       "原因",
	"received_at":  "接收时间",
	"raw":          "原始内容",
	"raw_base64":   "原始内容（Base64）",
	"bytes":        "字节数",
	"kind":         "类型",
	"key":          "键",
	"fields":       "不同字段",
	"kept":         "保留版本·",
	"rejected":     "被拒版本·",
	"event_id":     "事件编号",
	"log_position": "日志位置",
	"fact":         "内容",
	"detected_at":  "发现时间",
	// the access log
	"seq":      "序号",
	"at":       "时间",
	"account":  "账号",
	"role":     "角色",
	"token_id": "令牌编号",
	"method":   "方法",
	"path":     "路径",
	"query":    "查询参数",
	"remote":   "来源地址",
}

// headerOf is a column's header: each part of its path in Chinese, and
// "（元）" on amounts, which the sheet shows in yuan.
func headerOf(key string, kind cellKind) string {
	if key == "below_monitoring_line" && kind == cellInt { // a village's count, a household's flag
		return "低于监测线户数"
	}
	var b strings.Builder
	for part := range strings.SplitSeq(key, ".") {
		l, ok := labels[part]
		if !ok {
			l = part
		}
		b.WriteString(l)
	}
	if kind == cellYuan {
		b.WriteString("（元）")
	}
	return b.String()
}
