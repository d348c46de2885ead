package jdsim

import (
	"crypto/subtle"
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

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/platformsim"
)

// The sample credentials: the defaults of Options, so a demo works with no
// configuration.
const (
	SampleAppKey      = "loquat-jd-sample-app-key"
	SampleAppSecret   = "loquat-jd-sample-secret"
	SampleAccessToken = "loquat-jd-sample-access-token"
)

// Method is the one API method the platform serves.
const Method = "jingdong.pop.order.search"

// Router error codes. 2 and 4–15 follow JD's gateway error table; the
// app-key, token and backend codes are the ones this simulator uses.
const (
	CodeAppCallLimited     = "2" // 限制时间内调用失败次数 (App Call Limited): rate limited
	CodeMissingVersion     = "4"
	CodeUnsupportedVersion = "5"
	CodeMissingTimestamp   = "7"
	CodeInvalidTimestamp   = "8"
	CodeMissingSignature   = "11"
	CodeInvalidSignature   = "12"
	CodeInvalidAppKey      = "13"
	CodeMissingMethod      = "14"
	CodeInvalidMethod      = "15"
	CodeInvalidAccessToken = "19"
	CodeBackendUnavailable = "66" // 平台连接后端服务不可用: system busy
)

const (
	maxTimestampSkew        = 6 * time.Minute
	maxPageSize             = 100
	maxFormBytes            = 1 << 20
	resultCodeParamError    = "1010" // apiResult.resultCode of a business parameter error
	resultCodeParamErrorMsg = "参数错误"
)

// Options configures a Platform.
type Options struct {
	// AppKey, AppSecret and AccessToken callers must use. Defaults: the
	// Sample constants.
	AppKey, AppSecret, AccessToken string
	// Clock is the platform's time: an order shows the last version the
	// `modified` index has found by then (Version.Visible), and request
	// timestamps more than 6 minutes off it are refused; answers carry it
	// as their Date. Nil shows every order's last version and checks only
	// the timestamp's format.
	Clock func() time.Time
	// RateLimitEvery makes every Nth request (counting all) answer
	// error_response code 2; 0 never.
	RateLimitEvery int
	// BusyEvery makes every Nth request answer code 66 (system busy); 0 never.
	BusyEvery int
	// FailEvery makes every Nth request answer HTTP 500; 0 never.
	FailEvery int
	// MaxLookback refuses, as a parameter error, a start_date further back
	// than this before Clock; 0 refuses none. (JD limits how far back
	// order search reaches; see ingest/jd/README.md, "Look-back".)
	MaxLookback time.Duration
	// Logger gets one debug line per request; default discards.
	Logger *slog.Logger
}

// Version is an order as the platform shows it from Modified on.
type Version struct {
	// Modified is the order's `modified` time in this version.
	Modified time.Time
	// Visible is when the modified index finds this version; not before
	// Modified. Zero means Modified.
	Visible time.Time
	// State is its orderState.
	State string
	// JSON is the orderInfoList element, served as is.
	JSON json.RawMessage
}

// Order is an order's history: its versions in the order they happened.
type Order struct {
	ID       string
	Versions []Version
}

// Platform is a simulated JD order search over an order book. It is safe for
// concurrent use.
type Platform struct {
	opts    Options
	traffic platformsim.Traffic // answers by code, "ok" for pages

	mu     sync.Mutex
	orders map[string]*Order
}

// New sets the defaults and builds an empty platform.
func New(opts Options) (*Platform, error) {
	if opts.AppKey == "" {
		opts.AppKey = SampleAppKey
	}
	if opts.AppSecret == "" {
		opts.AppSecret = SampleAppSecret
	}
	if opts.AccessToken == "" {
		opts.AccessToken = SampleAccessToken
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RateLimitEvery < 0 || opts.BusyEvery < 0 || opts.FailEvery < 0 {
		return nil, errors.New("jdsim: failure periods must not be negative")
	}
	if opts.MaxLookback < 0 {
		return nil, errors.New("jdsim: MaxLookback must not be negative")
	}
	return &Platform{opts: opts, orders: map[string]*Order{}}, nil
}

// AddOrders puts orders in the book, replacing any with the same id. Each
// order needs an id and at least one version, in time order.
func (p *Platform) AddOrders(orders ...Order) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range orders {
		if o.ID == "" || len(o.Versions) == 0 {
			return fmt.Errorf("jdsim: order %q has no id or no version", o.ID)
		}
		vs, err := platformsim.Settle(o.Versions, (*Version).times)
		if err != nil {
			return fmt.Errorf("jdsim: order %s: %w", o.ID, err)
		}
		p.orders[o.ID] = &Order{ID: o.ID, Versions: vs}
	}
	return nil
}

// AddRecordedPage puts the orders of a recorded answer (such as
// samples/jd-order-search.json) in the book, one version each, served with
// their recorded bytes.
func (p *Platform) AddRecordedPage(recorded []byte) error {
	var a struct {
		R struct {
			Result struct {
				List []json.RawMessage `json:"orderInfoList"`
			} `json:"searchorderinfo_result"`
		} `json:"jingdong_pop_order_search_responce"`
	}
	if err := json.Unmarshal(recorded, &a); err != nil {
		return fmt.Errorf("jdsim: recorded answer: %w", err)
	}
	for i, raw := range a.R.Result.List {
		var o struct {
			OrderID    string `json:"orderId"`
			OrderState string `json:"orderState"`
			Modified   string `json:"modified"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("jdsim: recorded order %d: %w", i, err)
		}
		m, err := domain.ParseChinaTime(o.Modified)
		if err != nil {
			return fmt.Errorf("jdsim: recorded order %s: %w", o.OrderID, err)
		}
		if err := p.AddOrders(Order{ID: o.OrderID, Versions: []Version{{Modified: m, State: o.OrderState, JSON: raw}}}); err != nil {
			return err
		}
	}
	return nil
}

// Requests is how many requests arrived, refused ones included.
func (p *Platform) Requests() int { return p.traffic.Requests() }

// Answered counts the answers given by error code ("ok" for a page, "500"
// for HTTP 500).
func (p *Platform) Answered() map[string]int { return p.traffic.Answered() }

// ServeHTTP answers jingdong.pop.order.search (POST form or GET query) the
// way the JD router does: HTTP 200 with error_response for what it refuses,
// HTTP 500 only for failures asked for with FailEvery.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if p.opts.Clock != nil {
		w.Header().Set("Date", p.opts.Clock().UTC().Format(http.TimeFormat)) // the platform's clock, as a real one shows it
	}
	n := p.traffic.Arrive()
	switch {
	case platformsim.Every(n, p.opts.FailEvery):
		p.traffic.Fail(w)
		return
	case platformsim.Every(n, p.opts.RateLimitEvery):
		p.writeError(w, CodeAppCallLimited, "限制时间内调用失败次数", "App Call Limited")
		return
	case platformsim.Every(n, p.opts.BusyEvery):
		p.writeError(w, CodeBackendUnavailable, "平台连接后端服务不可用", "Service Unavailable")
		return
	}
	if err := r.ParseForm(); err != nil {
		p.writeError(w, CodeMissingMethod, "请求参数无法解析", "Bad Request")
		return
	}
	if code, zh, en := p.checkRouter(r); code != "" {
		p.writeError(w, code, zh, en)
		return
	}
	q, problem := parseQuery(r.Form.Get("360buy_param_json"))
	if problem == "" && p.opts.MaxLookback > 0 && p.opts.Clock != nil && q.start.Before(p.opts.Clock().Add(-p.opts.MaxLookback)) {
		problem = "start_date 超出可查询的时间范围"
	}
	if problem != "" {
		p.writeBusinessError(w, problem)
		return
	}
	total, list := p.search(q)
	p.traffic.Count("ok")
	p.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "jdsim order search", slog.Int("page", q.page), slog.Int("order_total", total))
	var a answer
	a.R.Code = "0"
	a.R.Result.APIResult = apiResult{Success: true, ChineseErrCode: "成功", EnglishErrCode: "success", NumberCode: 10100000}
	a.R.Result.OrderTotal = total
	a.R.Result.OrderInfoList = list
	writeJSON(w, a)
}

// checkRouter checks the router parameters in the platform's order: method,
// version, timestamp, app key, signature, token.
func (p *Platform) checkRouter(r *http.Request) (code, zh, en string) {
	f := r.Form
	switch {
	case f.Get("method") == "":
		return CodeMissingMethod, "缺少方法名参数", "Missing Method"
	case f.Get("method") != Method:
		return CodeInvalidMethod, "不存在的方法名", "Invalid Method"
	case f.Get("v") == "":
		return CodeMissingVersion, "缺少版本参数", "Missing Version"
	case f.Get("v") != "2.0":
		return CodeUnsupportedVersion, "不支持的版本号", "Unsupported Version"
	case f.Get("timestamp") == "":
		return CodeMissingTimestamp, "缺少时间戳参数", "Missing Timestamp"
	}
	ts, err := domain.ParseChinaTime(f.Get("timestamp"))
	if err != nil {
		return CodeInvalidTimestamp, "非法的时间戳参数", "Invalid Timestamp"
	}
	if p.opts.Clock != nil {
		if d := p.opts.Clock().Sub(ts); d > maxTimestampSkew || d < -maxTimestampSkew {
			return CodeInvalidTimestamp, "非法的时间戳参数", "Invalid Timestamp"
		}
	}
	if f.Get("app_key") != p.opts.AppKey {
		return CodeInvalidAppKey, "无效的app_key", "Invalid App Key"
	}
	if f.Get("sign") == "" {
		return CodeMissingSignature, "缺少签名参数", "Missing Signature"
	}
	if subtle.ConstantTimeCompare([]byte(f.Get("sign")), []byte(expectedSign(p.opts.AppSecret, f))) != 1 {
		return CodeInvalidSignature, "无效签名", "Invalid Signature"
	}
	if subtle.ConstantTimeCompare([]byte(f.Get("access_token")), []byte(p.opts.AccessToken)) != 1 {
		return CodeInvalidAccessToken, "无效的access_token", "Invalid access_token"
	}
	return "", "", ""
}

// query is 360buy_param_json, checked.
type query struct {
	start, end time.Time
	states     map[string]bool // nil: every state
	page, size int
	byCreation bool
	newest     bool
}

func parseQuery(param string) (query, string) {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(param))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return query{}, "360buy_param_json is not a JSON object"
	}
	str := func(name string) string {
		switch v := raw[name].(type) {
		case string:
			return v
		case json.Number:
			return v.String()
		}
		return ""
	}
	var q query
	var err error
	if q.start, err = domain.ParseChinaTime(str("start_date")); err != nil {
		return q, "start_date 格式错误"
	}
	if q.end, err = domain.ParseChinaTime(str("end_date")); err != nil {
		return q, "end_date 格式错误"
	}
	if q.end.Before(q.start) {
		return q, "end_date 早于 start_date"
	}
	if q.page, err = strconv.Atoi(str("page")); err != nil || q.page < 1 {
		return q, "page 必须为正整数"
	}
	if q.size, err = strconv.Atoi(str("page_size")); err != nil || q.size < 1 || q.size > maxPageSize {
		return q, "page_size 必须为1到100"
	}
	if s := str("order_state"); s != "" {
		q.states = map[string]bool{}
		for _, st := range strings.Split(s, ",") {
			q.states[strings.TrimSpace(st)] = true
		}
	}
	// dateType 0 (or anything but 1): modified time; 1: creation time.
	q.byCreation = str("dateType") == "1"
	// sortType 1: newest first; anything else: oldest first.
	q.newest = str("sortType") == "1"
	return q, ""
}

// hit is an order version a query finds, with its sort time.
type hit struct {
	id  string
	at  time.Time
	raw json.RawMessage
}

// search finds the orders whose current version falls in the query's window
// (both ends included, like JD) and returns the total and the page asked for.
func (p *Platform) search(q query) (int, []json.RawMessage) {
	var now time.Time
	if p.opts.Clock != nil {
		now = p.opts.Clock()
	}
	p.mu.Lock()
	var hits []hit
	for _, o := range p.orders {
		v, ok := platformsim.Current(o.Versions, Version.visible, now)
		if !ok || (q.states != nil && !q.states[v.State]) {
			continue
		}
		at := v.Modified
		if q.byCreation {
			at = o.Versions[0].Modified
		}
		if at.Before(q.start) || at.After(q.end) {
			continue
		}
		hits = append(hits, hit{o.ID, at, v.JSON})
	}
	p.mu.Unlock()
	slices.SortFunc(hits, func(a, b hit) int {
		c := a.at.Compare(b.at)
		if c == 0 {
			c = strings.Compare(a.id, b.id)
		}
		if q.newest {
			c = -c
		}
		return c
	})
	list := []json.RawMessage{}
	for i := (q.page - 1) * q.size; i < len(hits) && i < q.page*q.size; i++ {
		list = append(list, hits[i].raw)
	}
	return len(hits), list
}

// visible is when the `modified` index finds v (AddOrders filled it in).
func (v Version) visible() time.Time { return v.Visible }

// times are when v happened and where its visible time is, for
// platformsim.Settle.
func (v *Version) times() (time.Time, *time.Time) { return v.Modified, &v.Visible }

type apiResult struct {
	Success        bool   `json:"success"`
	ResultCode     string `json:"resultCode"`
	ChineseErrCode string `json:"chineseErrCode"`
	EnglishErrCode string `json:"englishErrCode"`
	NumberCode     int    `json:"numberCode"`
}

type answer struct {
	R struct {
		Code   string `json:"code"`
		Result struct {
			APIResult     apiResult         `json:"apiResult"`
			OrderTotal    int               `json:"orderTotal"`
			OrderInfoList []json.RawMessage `json:"orderInfoList"`
		} `json:"searchorderinfo_result"`
	} `json:"jingdong_pop_order_search_responce"`
}

func (p *Platform) writeBusinessError(w http.ResponseWriter, problem string) {
	p.traffic.Count(resultCodeParamError)
	var a answer
	a.R.Code = "0"
	a.R.Result.APIResult = apiResult{ResultCode: resultCodeParamError, ChineseErrCode: resultCodeParamErrorMsg + ": " + problem, EnglishErrCode: "param error", NumberCode: 10100010}
	a.R.Result.OrderInfoList = []json.RawMessage{}
	writeJSON(w, a)
}

func (p *Platform) writeError(w http.ResponseWriter, code, zh, en string) {
	p.traffic.Count(code)
	writeJSON(w, map[string]any{"error_response": map[string]string{"code": code, "zh_desc": zh, "en_desc": en}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v) // the client reads it or has gone
}
