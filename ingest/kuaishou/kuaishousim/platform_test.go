package kuaishousim_test

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// signed builds a request signed by hand, the documented way.
func signed(param, method string, now time.Time, change func(url.Values)) url.Values {
	q := url.Values{
		"appkey": {kuaishousim.SampleAppKey}, "method": {kuaishousim.Method}, "version": {"1"}, "param": {param},
		"access_token": {kuaishousim.SampleAccessToken}, "timestamp": {strconv.FormatInt(now.UnixMilli(), 10)}, "signMethod": {method},
	}
	if change != nil {
		change(q)
	}
	s := "access_token=" + q.Get("access_token") + "&appkey=" + q.Get("appkey") + "&method=" + q.Get("method") +
		"&param=" + q.Get("param") + "&signMethod=" + q.Get("signMethod") + "&timestamp=" + q.Get("timestamp") +
		"&version=" + q.Get("version") + "&signSecret=" + kuaishousim.SampleSignSecret
	if method == "MD5" {
		q.Set("sign", fmt.Sprintf("%x", md5.Sum([]byte(s))))
	} else {
		m := hmac.New(sha256.New, []byte(kuaishousim.SampleSignSecret))
		m.Write([]byte(s))
		q.Set("sign", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return q
}

type answer struct {
	Result   int    `json:"result"`
	ErrorMsg string `json:"error_msg"`
	Data     struct {
		Pcursor   string            `json:"pcursor"`
		OrderList []json.RawMessage `json:"orderList"`
	} `json:"data"`
}

func get(t *testing.T, srv *httptest.Server, q url.Values) answer {
	t.Helper()
	resp, err := http.Get(srv.URL + kuaishousim.Path + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a
}

func param(begin, end time.Time, size, sort int, pcursor string) string {
	return fmt.Sprintf(`{"orderViewStatus":1,"pageSize":%d,"sort":%d,"queryType":2,"beginTime":%d,"endTime":%d,"cpsType":0,"pcursor":%q}`,
		size, sort, begin.UnixMilli(), end.UnixMilli(), pcursor)
}

var may1 = time.Date(2020, 5, 1, 0, 0, 0, 0, domain.ChinaTime)

func TestRequestChecks(t *testing.T) {
	now := may1
	p, err := kuaishousim.New(kuaishousim.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	rec := sampledata.File("kuaishou-order-cursor-list.json")
	if err := p.AddRecordedPage(rec); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	ok := param(may1.Add(-24*time.Hour), may1, 100, 2, "")
	tests := []struct {
		name   string
		q      url.Values
		result int
	}{
		{"HMAC_SHA256", signed(ok, "HMAC_SHA256", now, nil), kuaishousim.ResultSuccess},
		{"MD5", signed(ok, "MD5", now, nil), kuaishousim.ResultSuccess},
		{"version not 1", signed(ok, "MD5", now, func(q url.Values) { q.Set("version", "2") }), kuaishousim.ResultParamInvalid},
		{"param changed after signing", func() url.Values {
			q := signed(ok, "HMAC_SHA256", now, nil)
			q.Set("param", param(may1.Add(-24*time.Hour), may1, 99, 2, ""))
			return q
		}(), kuaishousim.ResultSignInvalid},
		{"wrong token", signed(ok, "MD5", now, func(q url.Values) { q.Set("access_token", "x") }), kuaishousim.ResultTokenInvalid},
		{"wrong appkey", signed(ok, "MD5", now, func(q url.Values) { q.Set("appkey", "x") }), kuaishousim.ResultAppKeyInvalid},
		{"stale timestamp", signed(ok, "MD5", now.Add(-time.Hour), nil), kuaishousim.ResultParamInvalid},
		{"over 7 days", signed(param(may1.Add(-8*24*time.Hour), may1, 100, 2, ""), "MD5", now, nil), kuaishousim.ResultOver7Days},
		{"end before begin", signed(param(may1, may1.Add(-time.Hour), 100, 2, ""), "MD5", now, nil), kuaishousim.ResultEndBeforeBegin},
		{"over 90 days back", signed(param(may1.AddDate(0, 0, -91), may1.AddDate(0, 0, -90), 100, 2, ""), "MD5", now, nil), kuaishousim.ResultBefore90Days},
		{"page size 101", signed(param(may1.Add(-time.Hour), may1, 101, 2, ""), "MD5", now, nil), kuaishousim.ResultParamInvalid},
		{"bad pcursor", signed(param(may1.Add(-time.Hour), may1, 10, 2, "%%%"), "MD5", now, nil), kuaishousim.ResultParamInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if a := get(t, srv, tt.q); a.Result != tt.result {
				t.Errorf("want result %d, got %d (%s)", tt.result, a.Result, a.ErrorMsg)
			}
		})
	}
	a := get(t, srv, signed(ok, "MD5", now, nil))
	if len(a.Data.OrderList) != 1 || a.Data.Pcursor != kuaishousim.PcursorDone {
		t.Errorf("want the sample order and nomore, got %d orders, pcursor %q", len(a.Data.OrderList), a.Data.Pcursor)
	}
}

// TestCursorPaging: following pcursor from "" to nomore returns every order
// of the window once, in either sort order; oids exceed 2^53.
func TestCursorPaging(t *testing.T) {
	book, err := kuaishousim.Generate(kuaishousim.GenerateOptions{From: may1, Span: 6 * time.Hour, Orders: 300, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	now := may1.Add(4 * time.Hour)
	p, err := kuaishousim.New(kuaishousim.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddOrders(book.Orders...); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	var orders [2][]int64
	for i, sort := range []int{1, 2} {
		pc := ""
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatal("no nomore after 100 pages")
			}
			a := get(t, srv, signed(param(may1, now, 7, sort, pc), "HMAC_SHA256", now, nil))
			if a.Result != 1 {
				t.Fatalf("result %d: %s", a.Result, a.ErrorMsg)
			}
			for _, raw := range a.Data.OrderList {
				var o struct {
					Base struct {
						Oid json.Number `json:"oid"`
					} `json:"orderBaseInfo"`
				}
				if err := json.Unmarshal(raw, &o); err != nil {
					t.Fatal(err)
				}
				oid, err := o.Base.Oid.Int64()
				if err != nil || oid < 1<<53 {
					t.Fatalf("oid %s: want an integer above 2^53", o.Base.Oid)
				}
				orders[i] = append(orders[i], oid)
			}
			if pc = a.Data.Pcursor; pc == kuaishousim.PcursorDone {
				break
			}
		}
	}
	seen := map[int64]bool{}
	for _, oid := range orders[1] {
		if seen[oid] {
			t.Errorf("order %d twice", oid)
		}
		seen[oid] = true
	}
	visible := 0
	for _, o := range book.Orders {
		if !o.Versions[0].Visible.After(now) {
			visible++
		}
	}
	if len(seen) != visible || len(orders[0]) != visible {
		t.Errorf("want the %d orders placed by the clock once each way, got %d ascending, %d descending", visible, len(seen), len(orders[0]))
	}
}

func TestGenerateLedger(t *testing.T) {
	opts := kuaishousim.GenerateOptions{From: may1, Orders: 500, Seed: 9}
	a, err := kuaishousim.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := kuaishousim.Generate(opts)
	if !reflect.DeepEqual(a.Ledger, b.Ledger) || len(a.Orders) != len(b.Orders) {
		t.Error("equal options gave different books")
	}
	l := a.Ledger
	var days, dists kuaishousim.Totals
	for _, d := range l.ByDay {
		days.GMVFen, days.RefundsFen, days.NetFen = days.GMVFen+d.GMVFen, days.RefundsFen+d.RefundsFen, days.NetFen+d.NetFen
	}
	for _, d := range l.ByDistributor {
		dists.GMVFen += d.GMVFen
	}
	if days != l.Totals || l.NetFen != l.GMVFen-l.RefundsFen || dists.GMVFen <= 0 || dists.GMVFen >= l.GMVFen {
		t.Errorf("ledger does not add up: totals %+v, days %+v, distributors' GMV %s", l.Totals, days, dists.GMVFen)
	}
	if l.OrdersPaid != 500 || l.OrdersCreated != 500+l.OrdersNeverPaid || l.OrdersNeverPaid == 0 || l.OrdersRefunded == 0 {
		t.Errorf("orders: %+v", l)
	}
}
