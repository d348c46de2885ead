package kuaishou

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/ingest/internal/polling"
)

// The request as the platform names it.
const (
	listMethod = "open.order.cursor.list"
	listPath   = "/open/order/cursor/list"
	apiVersion = "1"

	resultSuccess = 1
	// PcursorDone is the pcursor the platform returns once a window is
	// exhausted.
	PcursorDone = "nomore"

	orderViewAll  = 1 // orderViewStatus: every status
	sortAscending = 2 // sort: 1 newest first, 2 oldest first
	queryByUpdate = 2 // queryType: 1 creation time, 2 update time
	cpsAll        = 0 // cpsType: 0 all, 1 ordinary, 2 distribution (分销)

	maxAnswerBytes = 16 << 20
)

// retryableMessages mark an answer that asking again later can cure: the
// platform's rate-limit messages (API调用触发限流告警) and a busy system.
var retryableMessages = []string{"exceed qps limit", "exceed quota limit", "系统繁忙", "system busy"}

// APIError is an answer whose result is not 1.
type APIError struct {
	Result int64
	Msg    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s answered result %d: %s", listMethod, e.Result, e.Msg)
}

// Temporary reports whether asking again later may succeed: a rate limit
// or a busy system. Other answers (signature, appkey, token, parameters,
// a window beyond 90 days) say the request or the configuration is wrong.
func (e *APIError) Temporary() bool {
	m := strings.ToLower(e.Msg)
	for _, s := range retryableMessages {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// errPermanent marks a failure that another attempt would repeat.
type errPermanent = polling.Permanent

// errBadPage is an answer that is not a cursor-list answer: it is
// dead-lettered once the attempts are used up.
type errBadPage = polling.BadPage

// window is a stretch of update time in Unix milliseconds, both ends
// included, with the pcursor to read next ("" for the first page).
type window struct {
	Begin   int64  `json:"begin_ms"`
	End     int64  `json:"end_ms"`
	Pcursor string `json:"pcursor"`
}

func (w window) String() string {
	return msTime(w.Begin).Format(time.DateTime) + " – " + msTime(w.End).Format(time.DateTime)
}

// listParam is param, the business parameters, in a fixed field order.
type listParam struct {
	OrderViewStatus int    `json:"orderViewStatus"`
	PageSize        int    `json:"pageSize"`
	Sort            int    `json:"sort"`
	QueryType       int    `json:"queryType"`
	BeginTime       int64  `json:"beginTime"`
	EndTime         int64  `json:"endTime"`
	CpsType         int    `json:"cpsType"`
	Pcursor         string `json:"pcursor"`
}

// page is one decoded answer page.
type page struct {
	pcursor string
	orders  []json.RawMessage
}

type listAnswer struct {
	Result   *int64 `json:"result"`
	ErrorMsg string `json:"error_msg"`
	Msg      string `json:"msg"`
	Data     *struct {
		Pcursor   *string         `json:"pcursor"`
		OrderList json.RawMessage `json:"orderList"`
	} `json:"data"`
}

// client calls open.order.cursor.list. It is safe for concurrent use.
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

// fetch returns the page at w.Pcursor, retrying network errors, HTTP 5xx
// and 429, rate limits and undecodable answers with exponential backoff,
// up to cfg.MaxAttempts attempts. An answer still undecodable then is
// returned as *errBadPage; a failure another attempt would repeat is
// errPermanent. It stops at once when ctx ends.
func (c *client) fetch(ctx context.Context, w window) (*page, error) {
	p, err := polling.Do(ctx, c.retry, func(attempt int, backoff time.Duration, err error) {
		c.logger.LogAttrs(ctx, slog.LevelWarn, "kuaishou order list failed, retrying",
			slog.String("window", w.String()), slog.Int("attempt", attempt),
			slog.Duration("backoff", backoff), slog.String("err", err.Error()))
	}, polling.Counted(ctx, c.progress, c.cfg.Now, func() (*page, error) { return c.fetchOnce(ctx, w) }))
	if err != nil {
		return nil, fmt.Errorf("window %s: %w", w, err)
	}
	return p, nil
}

func (c *client) fetchOnce(ctx context.Context, w window) (*page, error) {
	u := strings.TrimRight(c.cfg.APIBaseURL, "/") + listPath + "?" + c.query(w).Encode()
	body, err := c.http.Call(ctx, polling.Request{Method: http.MethodGet, URL: u, Name: listPath})
	if err != nil {
		return nil, err
	}
	return decodePage(body)
}

// decodePage reads an answer: a page, an *APIError (wrapped in
// errPermanent unless temporary), or an *errBadPage.
func decodePage(body []byte) (*page, error) {
	var a listAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, &errBadPage{Raw: body, Err: fmt.Errorf("answer is not JSON: %w", err)}
	}
	if a.Result == nil {
		return nil, &errBadPage{Raw: body, Err: errors.New("answer has no result")}
	}
	if *a.Result != resultSuccess {
		e := &APIError{Result: *a.Result, Msg: a.ErrorMsg}
		if e.Msg == "" {
			e.Msg = a.Msg
		}
		return nil, polling.Refused(e)
	}
	if a.Data == nil || a.Data.Pcursor == nil {
		return nil, &errBadPage{Raw: body, Err: errors.New("answer has no data.pcursor")}
	}
	p := &page{pcursor: *a.Data.Pcursor}
	if len(a.Data.OrderList) > 0 && string(a.Data.OrderList) != "null" {
		if err := json.Unmarshal(a.Data.OrderList, &p.orders); err != nil {
			return nil, &errBadPage{Raw: body, Err: fmt.Errorf("data.orderList is not an array: %w", err)}
		}
	}
	return p, nil
}

// query builds the signed request for the page at w.Pcursor.
func (c *client) query(w window) url.Values {
	param, _ := json.Marshal(listParam{
		OrderViewStatus: orderViewAll,
		PageSize:        c.cfg.PageSize,
		Sort:            sortAscending,
		QueryType:       queryByUpdate,
		BeginTime:       w.Begin,
		EndTime:         w.End,
		CpsType:         cpsAll,
		Pcursor:         w.Pcursor,
	}) // a struct of numbers and a string always marshals
	q := url.Values{}
	q.Set("appkey", c.cfg.AppKey)
	q.Set("method", listMethod)
	q.Set("version", apiVersion)
	q.Set("access_token", string(c.cfg.AccessToken))
	q.Set("timestamp", strconv.FormatInt(c.cfg.Now().UnixMilli(), 10))
	q.Set("signMethod", c.cfg.SignMethod)
	q.Set("param", string(param))
	q.Set("sign", Sign(c.cfg.SignSecret, c.cfg.SignMethod, q))
	return q
}
