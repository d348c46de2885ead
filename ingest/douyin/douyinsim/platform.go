package douyinsim

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
)

// The sample credentials of /work/shared/samples: the defaults of
// PlatformOptions, so a demo works with no configuration.
const (
	SampleAppKey      = "6839207136574162434"
	SampleAppSecret   = "loquat-sample-secret"
	SampleAccessToken = "loquat-sample-access-token"
)

// DetailPath is where the platform serves order.orderDetail.
const DetailPath = "/order/orderDetail"

// API answer codes. 10000 is the platform's success; the others follow its
// families (2xxxx service, 3xxxx authorization, 4xxxx parameters, 5xxxx
// business) and sub_code prefixes: isp.* the platform's fault, isv.* the
// caller's.
const (
	CodeSuccess       = 10000
	CodeUnavailable   = 20000 // 服务不可用: ask again later
	CodeAuthFailed    = 30001 // app_key, access_token or sign wrong
	CodeParamInvalid  = 40001 // missing or malformed parameter
	CodeOrderNotFound = 50002 // 业务处理失败: no such order
)

// PlatformOptions configures a Platform.
type PlatformOptions struct {
	// AppKey callers must send. Default SampleAppKey.
	AppKey string
	// AppSecret signs requests. Default SampleAppSecret.
	AppSecret string
	// AccessToken callers must send. Default SampleAccessToken.
	AccessToken string
	// Seed makes the answers' log_id deterministic. Default 0.
	Seed int64
	// Logger gets one debug line per request; default discards.
	Logger *slog.Logger
}

func (o *PlatformOptions) setDefaults() {
	if o.AppKey == "" {
		o.AppKey = SampleAppKey
	}
	if o.AppSecret == "" {
		o.AppSecret = SampleAppSecret
	}
	if o.AccessToken == "" {
		o.AccessToken = SampleAccessToken
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem at once.
func (o PlatformOptions) Validate() error {
	var errs []error
	if strings.TrimSpace(o.AppKey) != o.AppKey || o.AppKey == "" {
		errs = append(errs, fmt.Errorf("douyinsim: app key %q is empty or padded", o.AppKey))
	}
	if o.AppSecret == "" {
		errs = append(errs, errors.New("douyinsim: app secret is empty"))
	}
	if o.AccessToken == "" {
		errs = append(errs, errors.New("douyinsim: access token is empty"))
	}
	return errors.Join(errs...)
}

// Platform is a simulated 抖店 open platform: an order book and the
// order.orderDetail endpoint over it. It is safe for concurrent use.
type Platform struct {
	opts PlatformOptions

	mu       sync.Mutex
	orders   map[string]ShopOrderDetail
	raw      map[string]json.RawMessage // AddRawOrderDetail's, by order id
	failNext int                        // >0: that many detail requests answer 500; <0: all do
	requests int
}

// NewPlatform sets the defaults, validates and builds an empty platform.
func NewPlatform(opts PlatformOptions) (*Platform, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Platform{opts: opts, orders: map[string]ShopOrderDetail{}, raw: map[string]json.RawMessage{}}, nil
}

// AddOrders puts orders in the order book, replacing any with the same order_id.
func (p *Platform) AddOrders(orders ...ShopOrderDetail) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, o := range orders {
		if o.OrderID == "" {
			return fmt.Errorf("douyinsim: order %d has no order_id", i)
		}
		p.orders[o.OrderID] = o
	}
	return nil
}

// AddRawOrderDetail makes the platform answer order orderID's detail
// requests with shopOrderDetail, verbatim, as data.shop_order_detail: the
// way a real platform may write numbers as strings, add fields, or garble
// one. It must be JSON. It takes precedence over AddOrders.
func (p *Platform) AddRawOrderDetail(orderID string, shopOrderDetail []byte) error {
	if !json.Valid(shopOrderDetail) {
		return fmt.Errorf("douyinsim: raw detail of order %s is not JSON", orderID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.raw[orderID] = append(json.RawMessage(nil), shopOrderDetail...)
	return nil
}

// AddOrderDetailJSON puts the order of a recorded order.orderDetail answer
// (such as samples/douyin-order-detail.json) in the order book.
func (p *Platform) AddOrderDetailJSON(recorded []byte) error {
	var a struct {
		Data detailData `json:"data"`
	}
	if err := json.Unmarshal(recorded, &a); err != nil {
		return fmt.Errorf("douyinsim: recorded answer: %w", err)
	}
	if a.Data.ShopOrderDetail == nil {
		return errors.New("douyinsim: recorded answer has no data.shop_order_detail")
	}
	return p.AddOrders(*a.Data.ShopOrderDetail)
}

// Order returns the order book's copy of an order.
func (p *Platform) Order(orderID string) (ShopOrderDetail, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o, ok := p.orders[orderID]
	return o, ok
}

// FailRequests makes the next n detail requests answer HTTP 500; n < 0 makes
// every request fail until FailRequests(0).
func (p *Platform) FailRequests(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext = n
}

// DetailRequests is how many detail requests arrived, failed ones included.
func (p *Platform) DetailRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// ServeHTTP serves GET /order/orderDetail. Like the real platform it answers
// HTTP 200 with a code for every request it understood; only the failures
// asked for with FailRequests are HTTP 500.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != DetailPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.requests++
	logID := fmt.Sprintf("sim%016x%08x", uint64(p.opts.Seed), p.requests)
	fail := p.failNext != 0
	if p.failNext > 0 {
		p.failNext--
	}
	p.mu.Unlock()

	if fail {
		writeAnswer(w, http.StatusInternalServerError, answer{Code: CodeUnavailable, Msg: "服务不可用", SubCode: "isp.service-error", SubMsg: "simulated failure", LogID: logID})
		return
	}
	a := p.detail(r)
	a.LogID = logID
	p.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "douyinsim order detail", slog.Int("code", a.Code), slog.String("sub_code", a.SubCode))
	writeAnswer(w, http.StatusOK, a)
}

// detail checks the request as the platform would and answers it.
func (p *Platform) detail(r *http.Request) answer {
	q := r.URL.Query()
	for _, name := range []string{"app_key", "method", "access_token", "param_json", "timestamp", "v", "sign"} {
		if q.Get(name) == "" {
			return failure(CodeParamInvalid, "缺少必选参数", "isv.missing-parameter:"+name)
		}
	}
	switch {
	case q.Get("app_key") != p.opts.AppKey:
		return failure(CodeAuthFailed, "app_key 不存在", "isv.app-key-invalid")
	case q.Get("method") != "order.orderDetail":
		return failure(CodeParamInvalid, "method 不存在", "isv.method-invalid")
	case q.Get("v") != "2":
		return failure(CodeParamInvalid, "v 只支持 2", "isv.version-invalid")
	}
	if _, err := domain.ParseChinaTime(q.Get("timestamp")); err != nil {
		return failure(CodeParamInvalid, "timestamp 格式错误", "isv.timestamp-invalid")
	}
	switch q.Get("sign_method") {
	case "", SignMD5, SignHMACSHA256:
	default:
		return failure(CodeParamInvalid, "sign_method 不支持", "isv.sign-method-invalid")
	}
	want := expectedAPISign(p.opts.AppSecret, q)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(q.Get("sign"))), []byte(want)) != 1 {
		return failure(CodeAuthFailed, "签名校验失败", "isv.signature-invalid")
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("access_token")), []byte(p.opts.AccessToken)) != 1 {
		return failure(CodeAuthFailed, "access_token 无效", "isv.access-token-invalid")
	}
	var param struct {
		ShopOrderID string `json:"shop_order_id"`
	}
	if err := json.Unmarshal([]byte(q.Get("param_json")), &param); err != nil || param.ShopOrderID == "" {
		return failure(CodeParamInvalid, "param_json 格式错误", "isv.parameter-invalid:shop_order_id")
	}
	p.mu.Lock()
	raw, isRaw := p.raw[param.ShopOrderID]
	p.mu.Unlock()
	if isRaw {
		return answer{Code: CodeSuccess, Msg: "success", Data: struct {
			ShopOrderDetail json.RawMessage `json:"shop_order_detail"`
		}{raw}}
	}
	o, ok := p.Order(param.ShopOrderID)
	if !ok {
		return failure(CodeOrderNotFound, "业务处理失败", "isv.business-failed:order-not-found")
	}
	return answer{Code: CodeSuccess, Msg: "success", Data: detailData{ShopOrderDetail: &o}}
}

func failure(code int, msg, subCode string) answer {
	return answer{Code: code, Msg: msg, SubCode: subCode, SubMsg: msg, Data: struct{}{}}
}

func writeAnswer(w http.ResponseWriter, status int, a answer) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a) // the client reads it or has gone
}
