package kuaishousim

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

// The sample credentials: the defaults of Options, so a demo works with no
// configuration.
const (
	SampleAppKey      = "ks_loquat_sample"
	SampleSignSecret  = "loquat-kuaishou-sample-sign-secret"
	SampleAccessToken = "loquat-kuaishou-sample-access-token"
)

// The one method served, and where.
const (
	Method = "open.order.cursor.list"
	Path   = "/open/order/cursor/list"
	// PcursorDone is the pcursor of the last page of a window.
	PcursorDone = "nomore"
)

// Answer results. 1 is success and 300003–300005 are in the platform's
// return-code table; the others are the simulator's own. A rate limit
// carries the platform's documented message ("Exceed qps limit, KEY […]").
const (
	ResultSuccess        = 1
	ResultParamInvalid   = 10001
	ResultAppKeyInvalid  = 10002
	ResultSignInvalid    = 10003
	ResultTokenInvalid   = 10004
	ResultRateLimited    = 10005
	ResultEndBeforeBegin = 300003 // ENDTIME MUST AFTER BEGINTIME
	ResultOver7Days      = 300004 // SEARCH TIME RANGE EXPAND 7 DAYS
	ResultBefore90Days   = 300005 // CAN NOT SEARCH BEFORE 90 DAYS

	maxPageSize      = 100
	maxSpan          = 7 * 24 * time.Hour
	maxLookback      = 90 * 24 * time.Hour
	maxTimestampSkew = 10 * time.Minute
)

// Options configures a Platform.
type Options struct {
	// AppKey, SignSecret and AccessToken callers must use. Defaults: the
	// Sample constants.
	AppKey, SignSecret, AccessToken string
	// Clock is the platform's time: an order shows the last version
	// recorded by then (Version.Visible); request timestamps more than 10
	// minutes off it and windows starting over 90 days before it are
	// refused; answers carry it as their Date. Nil shows every order's last version.
	Clock func() time.Time
	// RateLimitEvery makes every Nth request (counting all) answer a rate
	// limit; 0 never.
	RateLimitEvery int
	// FailEvery makes every Nth request answer HTTP 500; 0 never.
	FailEvery int
	// Logger gets one debug line per request; default discards.
	Logger *slog.Logger
}

// Version is an order as the platform shows it from Updated on.
type Version struct {
	// Updated is updateTime in this version.
	Updated time.Time
	// Visible is when the order list finds this version; not before
	// Updated. Zero means Updated.
	Visible time.Time
	// Status is orderBaseInfo.status.
	Status int
	// JSON is the orderList element, served as is.
	JSON json.RawMessage
}

// Order is an order's history: its versions in the order they happened.
type Order struct {
	Oid           int64
	Created       time.Time
	DistributorID int64
	Versions      []Version
}

// Platform is a simulated open.order.cursor.list over an order book. It is
// safe for concurrent use.
type Platform struct {
	opts    Options
	traffic platformsim.Traffic // answers by result, "500" for HTTP 500

	mu     sync.Mutex
	orders map[int64]*Order
}

// New sets the defaults and builds an empty platform.
func New(opts Options) (*Platform, error) {
	if opts.AppKey == "" {
		opts.AppKey = SampleAppKey
	}
	if opts.SignSecret == "" {
		opts.SignSecret = SampleSignSecret
	}
	if opts.AccessToken == "" {
		opts.AccessToken = SampleAccessToken
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimitEvery < 0 || opts.FailEvery < 0 {
		return nil, errors.New("kuaishousim: failure periods must not be negative")
	}
	return &Platform{opts: opts, orders: map[int64]*Order{}}, nil
}

// AddOrders puts orders in the book, replacing any with the same oid.
func (p *Platform) AddOrders(orders ...Order) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range orders {
		if o.Oid <= 0 || len(o.Versions) == 0 {
			return fmt.Errorf("kuaishousim: order %d has no oid or no version", o.Oid)
		}
		vs, err := platformsim.Settle(o.Versions, (*Version).times)
		if err != nil {
			return fmt.Errorf("kuaishousim: order %d: %w", o.Oid, err)
		}
		o.Versions = vs
		p.orders[o.Oid] = &o
	}
	return nil
}

// AddRecordedPage puts the orders of a recorded answer (such as
// samples/kuaishou-order-cursor-list.json) in the book, one version each,
// served with their recorded bytes.
func (p *Platform) AddRecordedPage(recorded []byte) error {
	var a struct {
		Data struct {
			OrderList []json.RawMessage `json:"orderList"`
		} `json:"data"`
	}
	if err := json.Unmarshal(recorded, &a); err != nil {
		return fmt.Errorf("kuaishousim: recorded answer: %w", err)
	}
	for i, raw := range a.Data.OrderList {
		var o struct {
			Base struct {
				Oid        json.Number `json:"oid"`
				Status     int         `json:"status"`
				CreateTime int64       `json:"createTime"`
				UpdateTime int64       `json:"updateTime"`
			} `json:"orderBaseInfo"`
			Cps struct {
				DistributorID json.Number `json:"distributorId"`
			} `json:"orderCpsInfo"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("kuaishousim: recorded order %d: %w", i, err)
		}
		oid, err := o.Base.Oid.Int64()
		if err != nil {
			return fmt.Errorf("kuaishousim: recorded order %d: oid: %w", i, err)
		}
		dist, _ := o.Cps.DistributorID.Int64()
		v := Version{Updated: time.UnixMilli(o.Base.UpdateTime), Status: o.Base.Status, JSON: raw}
		if err := p.AddOrders(Order{Oid: oid, Created: time.UnixMilli(o.Base.CreateTime), DistributorID: dist, Versions: []Version{v}}); err != nil {
			return err
		}
	}
	return nil
}

// Requests is how many requests arrived, refused ones included.
func (p *Platform) Requests() int { return p.traffic.Requests() }

// Answered counts the answers by result ("500" for HTTP 500).
func (p *Platform) Answered() map[string]int { return p.traffic.Answered() }

// ServeHTTP answers GET (or form POST) /open/order/cursor/list the way the
// platform does: HTTP 200 with a result for every request it understood,
// HTTP 500 only for failures asked for with FailEvery.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	if p.opts.Clock != nil {
		w.Header().Set("Date", p.opts.Clock().UTC().Format(http.TimeFormat)) // the platform's clock, as a real one shows it
	}
	n := p.traffic.Arrive()
	switch {
	case platformsim.Every(n, p.opts.FailEvery):
		p.traffic.Fail(w)
		return
	case platformsim.Every(n, p.opts.RateLimitEvery):
		p.fail(w, ResultRateLimited, fmt.Sprintf("Exceed qps limit, KEY [apiId:%s;appkey:%s], MAX_QPS [300.0]", Method, p.opts.AppKey))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		p.fail(w, ResultParamInvalid, "请求参数无法解析")
		return
	}
	if result, msg := p.check(r); result != 0 {
		p.fail(w, result, msg)
		return
	}
	q, result, msg := p.parseParam(r.Form.Get("param"))
	if result != 0 {
		p.fail(w, result, msg)
		return
	}
	data := p.list(q)
	p.traffic.Count("1")
	p.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "kuaishousim order list", slog.Int("orders", len(data.OrderList)), slog.String("pcursor", data.Pcursor))
	writeJSON(w, answer{Result: ResultSuccess, ErrorMsg: "", Data: &data})
}

// check verifies the public parameters in the platform's order: presence,
// appkey, timestamp, signature, token.
func (p *Platform) check(r *http.Request) (int, string) {
	q := r.Form
	for _, name := range []string{"appkey", "method", "version", "param", "access_token", "timestamp", "signMethod", "sign"} {
		if q.Get(name) == "" {
			return ResultParamInvalid, "缺少参数 " + name
		}
	}
	switch {
	case q.Get("method") != Method:
		return ResultParamInvalid, "method 不存在"
	case q.Get("version") != "1":
		return ResultParamInvalid, "version 只支持 1"
	case q.Get("signMethod") != "MD5" && q.Get("signMethod") != "HMAC_SHA256":
		return ResultParamInvalid, "signMethod 不支持"
	case q.Get("appkey") != p.opts.AppKey:
		return ResultAppKeyInvalid, "appkey 无效"
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return ResultParamInvalid, "timestamp 格式错误"
	}
	if p.opts.Clock != nil {
		if d := p.opts.Clock().Sub(time.UnixMilli(ts)); d > maxTimestampSkew || d < -maxTimestampSkew {
			return ResultParamInvalid, "timestamp 与服务器时间相差过大"
		}
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("sign")), []byte(expectedSign(p.opts.SignSecret, q))) != 1 {
		return ResultSignInvalid, "签名校验失败"
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("access_token")), []byte(p.opts.AccessToken)) != 1 {
		return ResultTokenInvalid, "access_token 无效"
	}
	return 0, ""
}

// query is param, checked.
type query struct {
	begin, end int64
	size       int
	newest     bool
	byCreation bool
	cps        int
	view       int
	after      *key
}

// key orders the orders a query finds: its time, then oid.
type key struct{ at, oid int64 }

func (a key) compare(b key) int {
	if a.at != b.at {
		return cmpInt(a.at, b.at)
	}
	return cmpInt(a.oid, b.oid)
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (p *Platform) parseParam(s string) (query, int, string) {
	var v struct {
		BeginTime       *int64 `json:"beginTime"`
		EndTime         *int64 `json:"endTime"`
		PageSize        int    `json:"pageSize"`
		Sort            int    `json:"sort"`
		QueryType       int    `json:"queryType"`
		CpsType         int    `json:"cpsType"`
		OrderViewStatus int    `json:"orderViewStatus"`
		Pcursor         string `json:"pcursor"`
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return query{}, ResultParamInvalid, "param 不是合法的 JSON"
	}
	if v.BeginTime == nil || v.EndTime == nil {
		return query{}, ResultParamInvalid, "beginTime 和 endTime 必填"
	}
	q := query{begin: *v.BeginTime, end: *v.EndTime, size: v.PageSize, newest: v.Sort != 2, byCreation: v.QueryType != 2, cps: v.CpsType, view: v.OrderViewStatus}
	switch {
	case q.end < q.begin:
		return q, ResultEndBeforeBegin, "ENDTIME MUST AFTER BEGINTIME"
	case time.Duration(q.end-q.begin)*time.Millisecond > maxSpan:
		return q, ResultOver7Days, "SEARCH TIME RANGE EXPAND 7 DAYS"
	case p.opts.Clock != nil && time.UnixMilli(q.begin).Before(p.opts.Clock().Add(-maxLookback)):
		return q, ResultBefore90Days, "CAN NOT SEARCH BEFORE 90 DAYS"
	case q.size == 0:
		q.size = 10
	case q.size < 0 || q.size > maxPageSize:
		return q, ResultParamInvalid, "pageSize 最大为 100"
	}
	if v.Pcursor != "" {
		k, err := decodeCursor(v.Pcursor)
		if err != nil {
			return q, ResultParamInvalid, "pcursor 无效"
		}
		q.after = &k
	}
	return q, 0, ""
}

// statusView maps orderViewStatus (2 待付款 … 7 已关闭) to a status; 0 and 1 are all.
var statusView = map[int]int{2: 10, 3: 30, 4: 40, 5: 50, 6: 70, 7: 80}

type hit struct {
	k   key
	raw json.RawMessage
}

// list finds the page after q.after among the orders whose current version
// falls in the window (both ends included).
func (p *Platform) list(q query) data {
	var now time.Time
	if p.opts.Clock != nil {
		now = p.opts.Clock()
	}
	var hits []hit
	p.mu.Lock()
	for _, o := range p.orders {
		v, ok := platformsim.Current(o.Versions, Version.visible, now)
		if !ok {
			continue
		}
		if (q.cps == 1 && o.DistributorID != 0) || (q.cps == 2 && o.DistributorID == 0) {
			continue
		}
		if s, ok := statusView[q.view]; ok && v.Status != s {
			continue
		}
		at := v.Updated.UnixMilli()
		if q.byCreation {
			at = o.Created.UnixMilli()
		}
		if at < q.begin || at > q.end {
			continue
		}
		hits = append(hits, hit{key{at, o.Oid}, v.JSON})
	}
	p.mu.Unlock()
	order := func(a, b key) int {
		if q.newest {
			return b.compare(a)
		}
		return a.compare(b)
	}
	slices.SortFunc(hits, func(a, b hit) int { return order(a.k, b.k) })
	start := 0
	if q.after != nil {
		start = len(hits)
		for i, h := range hits {
			if order(h.k, *q.after) > 0 {
				start = i
				break
			}
		}
	}
	end := min(start+q.size, len(hits))
	d := data{CurrentPage: start/q.size + 1, PageSize: q.size, Pcursor: PcursorDone, OrderList: []json.RawMessage{}}
	for _, h := range hits[start:end] {
		d.OrderList = append(d.OrderList, h.raw)
	}
	if end < len(hits) {
		d.Pcursor = encodeCursor(hits[end-1].k)
	}
	return d
}

// visible is when the order list finds v (AddOrders filled it in).
func (v Version) visible() time.Time { return v.Visible }

// times are when v happened and where its visible time is, for
// platformsim.Settle.
func (v *Version) times() (time.Time, *time.Time) { return v.Updated, &v.Visible }

// encodeCursor writes a position the way the sample's pcursor reads:
// base64 of "<time ms>_<oid>".
func encodeCursor(k key) string {
	return base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%d_%d", k.at, k.oid)))
}

func decodeCursor(s string) (key, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return key{}, err
	}
	at, oid, ok := strings.Cut(string(b), "_")
	if !ok {
		return key{}, errors.New("no _")
	}
	var k key
	if k.at, err = strconv.ParseInt(at, 10, 64); err != nil {
		return key{}, err
	}
	if k.oid, err = strconv.ParseInt(oid, 10, 64); err != nil {
		return key{}, err
	}
	return k, nil
}

type data struct {
	CurrentPage int               `json:"currentPage"`
	PageSize    int               `json:"pageSize"`
	Pcursor     string            `json:"pcursor"`
	OrderList   []json.RawMessage `json:"orderList"`
}

type answer struct {
	Result   int    `json:"result"`
	ErrorMsg string `json:"error_msg"`
	Data     *data  `json:"data,omitempty"`
}

func (p *Platform) fail(w http.ResponseWriter, result int, msg string) {
	p.traffic.Count(strconv.Itoa(result))
	writeJSON(w, answer{Result: result, ErrorMsg: msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v) // the client reads it or has gone
}
