package jd

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// The request as JD names it.
const (
	searchMethod = "jingdong.pop.order.search"
	apiVersion   = "2.0"
	responseKey  = "jingdong_pop_order_search_responce" // JD's spelling
	// dateTypeModified selects windows by `modified` (0; 1 is creation time).
	dateTypeModified = "0"
	// sortAscending sorts by that time, oldest first (1 is newest first).
	sortAscending = "0"

	// maxAnswerBytes bounds one answer; a page of 100 orders is well under it.
	maxAnswerBytes = 16 << 20
)

// optionalFields are the order fields asked for: those the events need and
// a few that help reading a dead letter.
var optionalFields = strings.Join([]string{
	"orderId", "venderId", "orderType", "payType", "orderTotalPrice", "orderSellerPrice", "orderPayment",
	"freightPrice", "sellerDiscount", "orderState", "orderStateRemark", "orderStartTime",
	"paymentConfirmTime", "orderEndTime", "modified", "itemInfoList", "couponDetailList",
}, ",")

// Router error codes that asking again later can cure.
var retryableCodes = map[string]bool{
	"2":  true, // 限制时间内调用失败次数 / App Call Limited: rate limited
	"66": true, // 平台连接后端服务不可用: backend unavailable (system busy)
	"67": true, // 平台连接后端服务超时: backend timed out
}

// APIError is an error answer of the JD router (error_response), or a
// business failure (apiResult.success false) with its resultCode.
type APIError struct {
	Code string
	Desc string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s answered code %s: %s", searchMethod, e.Code, e.Desc)
}

// Temporary reports whether asking again later may succeed: rate limits and
// a busy or unreachable backend. Other codes (signature, app key, token,
// parameters) say the request or the configuration is wrong.
func (e *APIError) Temporary() bool { return retryableCodes[e.Code] }

// errPermanent marks a failure that another attempt would repeat.
type errPermanent = polling.Permanent

// errBadPage is an answer that is not a search answer: it is dead-lettered
// once the attempts are used up.
type errBadPage = polling.BadPage

// window is a stretch of `modified` time, whole seconds, China time.
type window struct{ from, to time.Time }

func (w window) String() string {
	return w.from.In(domain.ChinaTime).Format(time.DateTime) + " – " + w.to.In(domain.ChinaTime).Format(time.DateTime)
}

// searchParams are the business parameters, 360buy_param_json.
type searchParams struct {
	StartDate      string `json:"start_date"`
	EndDate        string `json:"end_date"`
	OrderState     string `json:"order_state"`
	OptionalFields string `json:"optional_fields"`
	Page           string `json:"page"`
	PageSize       string `json:"page_size"`
	DateType       string `json:"dateType"`
	SortType       string `json:"sortType"`
}

// page is one decoded answer page.
type page struct {
	raw    []byte
	total  int
	orders []json.RawMessage
}

type searchAnswer struct {
	Response *struct {
		Code   text `json:"code"`
		Result *struct {
			APIResult *struct {
				Success        bool   `json:"success"`
				ResultCode     string `json:"resultCode"`
				ChineseErrCode string `json:"chineseErrCode"`
				EnglishErrCode string `json:"englishErrCode"`
			} `json:"apiResult"`
			OrderTotal    text            `json:"orderTotal"`
			OrderInfoList json.RawMessage `json:"orderInfoList"`
		} `json:"searchorderinfo_result"`
	} `json:"jingdong_pop_order_search_responce"`
	Error *struct {
		Code   text   `json:"code"`
		ZhDesc string `json:"zh_desc"`
		EnDesc string `json:"en_desc"`
	} `json:"error_response"`
}

// client calls jingdong.pop.order.search. It is safe for concurrent use.
type client struct {
	cfg      Config
	logger   *slog.Logger
	http     polling.HTTP
	retry    polling.Retry
	progress *polling.Progress // counts every call
}

func newClient(cfg Config, logger *slog.Logger, progress *polling.Progress) *client {
	s := cfg.settings()
	return &client{cfg: cfg, logger: logger, http: s.HTTP(maxAnswerBytes, &progress.Clock), retry: s.Retry(), progress: progress}
}

// fetch returns one page of a window, retrying network errors, HTTP 5xx and
// 429, rate limits, a busy backend and undecodable answers with exponential
// backoff, up to cfg.MaxAttempts attempts. An answer still undecodable then
// is returned as *errBadPage; a failure another attempt would repeat is
// errPermanent. It stops at once when ctx ends.
func (c *client) fetch(ctx context.Context, w window, n int) (*page, error) {
	p, err := polling.Do(ctx, c.retry, func(attempt int, backoff time.Duration, err error) {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "jd order search failed, retrying",
			slog.String("window", w.String()), slog.Int("page", n), slog.Int("attempt", attempt),
			slog.Duration("backoff", backoff), slog.String("err", err.Error()))
	}, polling.Counted(ctx, c.progress, c.cfg.Now, func() (*page, error) { return c.fetchOnce(ctx, w, n) }))
	if err != nil {
		return nil, fmt.Errorf("window %s page %d: %w", w, n, err)
	}
	return p, nil
}

func (c *client) fetchOnce(ctx context.Context, w window, n int) (*page, error) {
	body, err := c.http.Call(ctx, polling.Request{
		Method: http.MethodPost, URL: c.cfg.APIBaseURL, Name: searchMethod,
		Body: strings.NewReader(c.form(w, n).Encode()), ContentType: "application/x-www-form-urlencoded;charset=UTF-8",
	})
	if err != nil {
		return nil, err
	}
	return decodePage(body)
}

// decodePage reads an answer: a page, an *APIError (wrapped in errPermanent
// unless temporary), or an *errBadPage.
func decodePage(body []byte) (*page, error) {
	var a searchAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("answer is not JSON: %w", err)}
	}
	if a.Error != nil {
		e := &APIError{Code: a.Error.Code.s, Desc: a.Error.ZhDesc}
		if e.Desc == "" {
			e.Desc = a.Error.EnDesc
		}
		return nil, polling.Refused(e)
	}
	if a.Response == nil {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("answer has neither %s nor error_response", responseKey)}
	}
	r := a.Response.Result
	if r == nil {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("answer has no %s.searchorderinfo_result", responseKey)}
	}
	if ar := r.APIResult; ar != nil && !ar.Success {
		desc := ar.ChineseErrCode
		if ar.EnglishErrCode != "" {
			desc += " (" + ar.EnglishErrCode + ")"
		}
		return nil, errPermanent{Err: &APIError{Code: ar.ResultCode, Desc: desc}}
	}
	total, err := strconv.Atoi(r.OrderTotal.s)
	if err != nil || total < 0 {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("orderTotal %q is not a count", r.OrderTotal.s)}
	}
	p := &page{raw: body, total: total}
	if len(r.OrderInfoList) > 0 && string(r.OrderInfoList) != "null" {
		if err := json.Unmarshal(r.OrderInfoList, &p.orders); err != nil {
			return nil, &errBadPage{Raw: body, Err: fmt.Errorf("orderInfoList is not an array: %w", err)}
		}
	} else if total > 0 {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("orderTotal is %d but orderInfoList is missing", total)}
	}
	return p, nil
}

// form builds the signed router parameters for one page of a window.
func (c *client) form(w window, n int) url.Values {
	param, _ := json.Marshal(searchParams{
		StartDate:      w.from.In(domain.ChinaTime).Format(time.DateTime),
		EndDate:        w.to.In(domain.ChinaTime).Format(time.DateTime),
		OrderState:     strings.Join(c.cfg.OrderStates, ","),
		OptionalFields: optionalFields,
		Page:           strconv.Itoa(n),
		PageSize:       strconv.Itoa(c.cfg.PageSize),
		DateType:       dateTypeModified,
		SortType:       sortAscending,
	}) // a struct of strings always marshals
	f := url.Values{}
	f.Set("method", searchMethod)
	f.Set("app_key", c.cfg.AppKey)
	f.Set("access_token", string(c.cfg.AccessToken))
	f.Set("timestamp", c.cfg.Now().In(domain.ChinaTime).Format(time.DateTime))
	f.Set("v", apiVersion)
	f.Set("360buy_param_json", string(param))
	f.Set("sign", Sign(c.cfg.AppSecret, f))
	return f
}
