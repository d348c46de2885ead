package console

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// langCookie remembers the language a reader chose with ?lang=.
const langCookie = "loquat_lang"

// langOf is the page's language: ?lang=en|zh (remembered in a cookie),
// else the cookie, else Chinese.
func langOf(g *gin.Context) string {
	if l := g.Query("lang"); l == "en" || l == "zh" {
		http.SetCookie(g.Writer, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode})
		return l
	}
	if ck, err := g.Request.Cookie(langCookie); err == nil && ck.Value == "en" {
		return "en"
	}
	return "zh"
}

func translate(lang, key string) string {
	m := messages[key]
	if lang == "en" && m[1] != "" {
		return m[1]
	}
	if m[0] != "" {
		return m[0]
	}
	return key
}

// productName names a product code; an unknown code is shown as it is.
func productName(lang, code string) string {
	if _, ok := messages["product."+code]; ok {
		return translate(lang, "product."+code)
	}
	return code
}

// messages holds each key's Chinese and English text.
var messages = map[string][2]string{
	"app":                 {"Loquat 助农销售", "Loquat farm sales"},
	"nav.overview":        {"总览", "Overview"},
	"overview.enterprise": {"本企业的销售", "Your enterprise's sales"},
	"overview.village":    {"本村产品的销售", "Sales of your village's products"},
	"nav.livestreams":     {"直播", "Livestreams"},
	"nav.enterprises":     {"企业", "Enterprises"},
	"nav.villages":        {"村", "Villages"},
	"nav.households":      {"农户", "Households"},
	"nav.quality":         {"数据质量", "Data quality"},
	"signin":              {"登录", "Sign in"},
	"signout":             {"退出", "Sign out"},
	"signin.user":         {"用户名", "User name"},
	"signin.password":     {"密码", "Password"},
	"signin.failed":       {"用户名或密码错误", "Wrong user name or password"},
	"signin.locked":       {"登录失败次数过多，请稍后再试", "Too many failed sign-ins; try again later"},
	"period":              {"期间", "Period"},
	"period.from":         {"起", "From"},
	"period.to":           {"止", "To"},
	"period.apply":        {"查询", "Apply"},
	"gmv":                 {"成交额", "GMV"},
	"refunds":             {"退款", "Refunds"},
	"net":                 {"净销售额", "Net sales"},
	"refund_rate":         {"退款率", "Refund rate"},
	"orders":              {"订单数", "Orders"},
	"buyers":              {"买家数", "Buyers"},
	"unattributed":        {"未归属", "Unattributed"},
	"reached":             {"带动户数", "Households reached"},
	"below_line":          {"低于监测线户数", "Households below the line"},
	"below_line.flag":     {"低于监测线", "Below the line"},
	"trend":               {"趋势", "Trend"},
	"bucket.day":          {"按日", "Daily"},
	"bucket.week":         {"按周", "Weekly"},
	"bucket.month":        {"按月", "Monthly"},
	"by_platform":         {"分平台", "By platform"},
	"by_village":          {"分村", "By village"},
	"by_product":          {"分产品", "By product"},
	"platform":            {"平台", "Platform"},
	"village":             {"村", "Village"},
	"town":                {"镇街", "Town"},
	"enterprise":          {"企业", "Enterprise"},
	"party_branch":        {"党支部", "Party branch"},
	"paired_villages":     {"结对村", "Paired villages"},
	"product":             {"产品", "Product"},
	"livestream":          {"直播间", "Livestream"},
	"anchor":              {"主播", "Anchor"},
	"first_order":         {"首单", "First order"},
	"last_order":          {"末单", "Last order"},
	"peak_minute":         {"峰值分钟", "Peak minute"},
	"per_minute":          {"每分钟订单与成交额", "Orders and GMV per minute"},
	"orders_per_min":      {"每分钟订单", "Orders per minute"},
	"top_products":        {"热销产品", "Top products"},
	"live":                {"实时", "Live"},
	"enterprise_share":    {"企业留存", "Enterprise share"},
	"collective":          {"村集体收入", "Collective income"},
	"households_fen":      {"农户分成", "Households' share"},
	"product_sales":       {"本村产品净销售额", "Net sales of the village's produce"},
	"households":          {"农户数", "Households"},
	"household":           {"农户", "Household"},
	"category":            {"类别", "Category"},
	"members":             {"人口", "Members"},
	"baseline":            {"基础年收入", "Baseline income"},
	"attributed":          {"销售分成", "Sales share"},
	"recorded":            {"记录收入", "Recorded income"},
	"gain":                {"增收", "Income gain"},
	"per_capita":          {"人均年收入", "Per-capita income"},
	"line":                {"监测线", "Monitoring line"},
	"trailing":            {"近365天项目收入", "Programme income, trailing 365 days"},
	"filter":              {"筛选", "Filter"},
	"all":                 {"全部", "All"},
	"only_below":          {"仅低于监测线", "Below the line only"},
	"yes":                 {"是", "Yes"},
	"no":                  {"否", "No"},
	"none":                {"暂无数据", "Nothing yet"},
	"dead_letters":        {"死信（无法处理的输入）", "Dead letters"},
	"unattributed_sku":    {"未归属SKU", "Unattributed SKUs"},
	"conflicts":           {"冲突", "Conflicts"},
	"source":              {"来源", "Source"},
	"reason":              {"原因", "Reason"},
	"received_at":         {"接收时间", "Received"},
	"bytes":               {"字节", "Bytes"},
	"sku":                 {"SKU", "SKU"},
	"lines":               {"行数", "Lines"},
	"first_at":            {"首次", "First"},
	"last_at":             {"最近", "Last"},
	"kind":                {"类型", "Kind"},
	"key":                 {"键", "Key"},
	"fields":              {"差异字段", "Differing fields"},
	"detected_at":         {"发现时间", "Detected"},
	"total":               {"共", "Total"},
	"download.xlsx":       {"下载 Excel", "Download Excel"},
	"download.csv":        {"下载 CSV", "Download CSV"},
	"more":                {"下一页", "Next page"},
	"not_visible":         {"本账号无权查看", "Not visible to this account"},
	"inc.operating":       {"经营性", "Operating"},
	"inc.wage":            {"工资性", "Wages"},
	"inc.property":        {"财产性", "Property"},
	"inc.transfer":        {"转移性", "Transfers"},
	"error.notfound":      {"未找到", "Not found"},
	"error.forbidden":     {"无权访问", "Forbidden"},
	"error.badrequest":    {"请求有误", "Bad request"},
	"error.internal":      {"内部错误", "Internal error"},
	"error.back":          {"返回首页", "Back to the start"},
	"platform.douyin":     {"抖音", "Douyin"},
	"platform.jd":         {"京东", "JD"},
	"platform.kuaishou":   {"快手", "Kuaishou"},
	"platform.832":        {"832平台", "832 platform"},
	"platform.file":       {"文件导入", "File import"},
	"product.loquat":      {"枇杷", "Loquats"},
	"product.longan":      {"龙眼", "Longan"},
	"product.shiitake":    {"香菇", "Shiitake"},
	"product.clams":       {"花蛤", "Clams"},
	"product.flowers":     {"花卉", "Flowers"},
	"product.tea":         {"茶叶", "Tea"},
}
