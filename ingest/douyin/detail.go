package douyin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
)

// The order.orderDetail call as the platform names it.
const (
	detailMethod  = "order.orderDetail"
	detailPath    = "/order/orderDetail"
	apiVersion    = "2"
	apiSignMethod = "hmac-sha256"

	apiCodeSuccess = 10000
	// apiCodeUnavailable is the platform's "service unavailable" (服务不可用):
	// the only API code besides isp.* sub-codes worth asking again.
	apiCodeUnavailable = 20000

	// maxDetailBytes bounds an answer; a real one is a few kilobytes.
	maxDetailBytes = 4 << 20
)

// orderDetail is data.shop_order_detail of an order.orderDetail answer, with
// the fields the events need. PayAmount and PostAmount are the order's
// totals, nil when the answer does not state them.
type orderDetail struct {
	OrderID       exactID    `json:"order_id"`
	CreateTime    integer    `json:"create_time"`
	PayTime       integer    `json:"pay_time"`
	UpdateTime    integer    `json:"update_time"`
	PayAmount     *integer   `json:"pay_amount"`
	PostAmount    *integer   `json:"post_amount"`
	DoudianOpenID carriedID  `json:"doudian_open_id"`
	SkuOrderList  []skuOrder `json:"sku_order_list"`

	// invalid is why the answer's shop_order_detail cannot be used: the
	// messages needing it are dead letters, since asking again would give
	// the same answer.
	invalid error
}

// skuOrder is one line (子订单) of an order. pay_amount includes the line's
// freight, post_amount.
type skuOrder struct {
	OrderID     exactID     `json:"order_id"`
	SkuID       exactID     `json:"sku_id"`
	ProductName carriedName `json:"product_name"`
	ItemNum     integer     `json:"item_num"`
	PayAmount   integer     `json:"pay_amount"`
	PostAmount  integer     `json:"post_amount"`
	AuthorID    carriedID   `json:"author_id"`
	AuthorName  carriedName `json:"author_name"`
	RoomID      exactID     `json:"room_id"`
	RoomIDStr   exactID     `json:"room_id_str"`
}

// detailAnswer is an order.orderDetail answer. The detail itself is
// decoded apart, so that a detail the adapter cannot use is told from an
// answer that is not one. The texts only go into errors: they are read
// whatever their form (answerText), so an odd log_id never loses an answer.
type detailAnswer struct {
	Code    integer         `json:"code"`
	Msg     json.RawMessage `json:"msg"`
	SubCode json.RawMessage `json:"sub_code"`
	SubMsg  json.RawMessage `json:"sub_msg"`
	LogID   json.RawMessage `json:"log_id"`
	Data    struct {
		ShopOrderDetail json.RawMessage `json:"shop_order_detail"`
	} `json:"data"`
}

// apiError is an answer whose code is not 10000.
type apiError struct {
	Code    int64
	Msg     string
	SubCode string
	SubMsg  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("order.orderDetail answered code %d %s (sub_code %q %s)", e.Code, e.Msg, e.SubCode, e.SubMsg)
}

// temporary reports whether asking again may succeed: the platform is
// unavailable or failed on its side (isp.*). Other codes say the request
// itself is wrong (auth, parameters, unknown order).
func (e *apiError) temporary() bool {
	return e.Code == apiCodeUnavailable || strings.HasPrefix(e.SubCode, "isp.")
}

// errPermanent marks a failure that another attempt would repeat.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// detailClient calls order.orderDetail. It is safe for concurrent use.
type detailClient struct {
	cfg    Config
	logger *slog.Logger
}

// fetch returns an order's detail, retrying transient failures (network,
// timeout, HTTP 5xx, API service errors) with exponential backoff up to
// cfg.MaxAttempts attempts. It stops at once when ctx ends.
func (c *detailClient) fetch(ctx context.Context, orderID string) (*orderDetail, error) {
	backoff := c.cfg.RetryBackoff
	var err error
	for attempt := 1; ; attempt++ {
		var d *orderDetail
		d, err = c.fetchOnce(ctx, orderID)
		if err == nil {
			return d, nil
		}
		var perm errPermanent
		if errors.As(err, &perm) || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
			break
		}
		c.logger.LogAttrs(ctx, slog.LevelWarn, "douyin order detail failed, retrying",
			slog.String("order_id", orderID), slog.Int("attempt", attempt), slog.Duration("backoff", backoff), slog.String("err", err.Error()))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("order %s detail: %w (after %d attempts: %w)", orderID, ctx.Err(), attempt, err)
		case <-t.C:
		}
		backoff = min(2*backoff, maxRetryBackoff)
	}
	return nil, fmt.Errorf("order %s detail: %w", orderID, err)
}

func (c *detailClient) fetchOnce(ctx context.Context, orderID string) (*orderDetail, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.detailURL(orderID), nil)
	if err != nil {
		return nil, errPermanent{err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		// A *url.Error quotes the URL, access_token included: keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("GET %s: %w", detailPath, ue.Err)
		}
		return nil, err // network or timeout: worth another attempt
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDetailBytes))
	if err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode >= 400 && resp.StatusCode != http.StatusTooManyRequests:
		return nil, errPermanent{fmt.Errorf("HTTP %d", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	d, err := decodeDetailAnswer(body)
	if err != nil {
		return nil, err
	}
	if d.invalid == nil && string(d.OrderID) != orderID {
		return nil, errPermanent{fmt.Errorf("answer is for order %q, not %s", d.OrderID, orderID)}
	}
	return d, nil
}

// decodeDetailAnswer decodes an order.orderDetail answer. An answer that is
// not one, or says the call failed, is an error (an *apiError when the code
// is worth asking again, else errPermanent). A detail that is there but
// cannot be used (a field of the wrong kind, an id that is not exact) comes
// back with invalid set.
func decodeDetailAnswer(body []byte) (*orderDetail, error) {
	var ans detailAnswer
	// Ids decode through exactID and amounts through integer: nothing of
	// the answer passes through float64.
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, errPermanent{fmt.Errorf("answer is not order.orderDetail JSON: %w", err)}
	}
	if ans.Code != apiCodeSuccess {
		e := &apiError{Code: int64(ans.Code), Msg: answerText(ans.Msg), SubCode: answerText(ans.SubCode), SubMsg: answerText(ans.SubMsg)}
		if e.temporary() {
			return nil, e
		}
		return nil, errPermanent{e}
	}
	raw := ans.Data.ShopOrderDetail
	if len(raw) == 0 || string(raw) == "null" {
		return nil, errPermanent{errors.New("answer has no data.shop_order_detail")}
	}
	d := &orderDetail{}
	if err := json.Unmarshal(raw, d); err != nil {
		return &orderDetail{invalid: fmt.Errorf("shop_order_detail (log_id %s): %w", answerText(ans.LogID), err)}, nil
	}
	return d, nil
}

// answerText is a text of the answer for an error: the string or number as
// sent, anything else (or anything longer than a name) as its JSON, clipped.
func answerText(raw json.RawMessage) string {
	if s, err := decodeText(raw, maxNameBytes); err == nil {
		return s
	}
	return clip(raw)
}

// detailParam is the param_json of order.orderDetail.
type detailParam struct {
	ShopOrderID string `json:"shop_order_id"`
}

// detailURL builds the signed GET request for one order. The query is
// written in url.Values.Encode's form (keys sorted, values escaped) without
// building the map for every order.
func (c *detailClient) detailURL(orderID string) string {
	paramJSON, _ := json.Marshal(detailParam{orderID}) // a struct of one string always marshals
	timestamp := c.cfg.Now().In(domain.ChinaTime).Format(time.DateTime)
	sign := APISign(c.cfg.AppKey, c.cfg.AppSecret, detailMethod, string(paramJSON), timestamp, apiVersion)
	var b strings.Builder
	b.Grow(len(c.cfg.APIBaseURL) + 256)
	b.WriteString(strings.TrimRight(c.cfg.APIBaseURL, "/"))
	b.WriteString(detailPath)
	for i, kv := range [...][2]string{
		{"access_token", string(c.cfg.AccessToken)},
		{"app_key", c.cfg.AppKey},
		{"method", detailMethod},
		{"param_json", string(paramJSON)},
		{"sign", sign},
		{"sign_method", apiSignMethod},
		{"timestamp", timestamp},
		{"v", apiVersion},
	} {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}
