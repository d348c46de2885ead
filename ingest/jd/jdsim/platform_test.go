package jdsim_test

import (
	"bytes"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
	"github.com/loquat-dev/loquat/internal/samples/sampledata"
)

// signed builds a request form signed by hand, the documented way.
func signed(param string, change func(url.Values)) url.Values {
	f := url.Values{
		"method": {jdsim.Method}, "app_key": {jdsim.SampleAppKey}, "access_token": {jdsim.SampleAccessToken},
		"timestamp": {"2020-05-01 10:00:00"}, "v": {"2.0"}, "360buy_param_json": {param},
	}
	if change != nil {
		change(f)
	}
	var names []string
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	s := jdsim.SampleAppSecret
	for _, n := range names {
		s += n + f.Get(n)
	}
	f.Set("sign", fmt.Sprintf("%X", md5.Sum([]byte(s+jdsim.SampleAppSecret))))
	return f
}

type answer struct {
	Error *struct {
		Code string `json:"code"`
	} `json:"error_response"`
	R struct {
		Result struct {
			APIResult struct {
				Success bool `json:"success"`
			} `json:"apiResult"`
			OrderTotal int               `json:"orderTotal"`
			List       []json.RawMessage `json:"orderInfoList"`
		} `json:"searchorderinfo_result"`
	} `json:"jingdong_pop_order_search_responce"`
}

func post(t *testing.T, srv *httptest.Server, f url.Values) answer {
	t.Helper()
	resp, err := http.PostForm(srv.URL, f)
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

func param(start, end string, page, size int) string {
	return fmt.Sprintf(`{"start_date":%q,"end_date":%q,"page":"%d","page_size":"%d","dateType":"0","sortType":"0"}`, start, end, page, size)
}

func TestRecordedSampleServedAsRecorded(t *testing.T) {
	p, err := jdsim.New(jdsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := sampledata.File("jd-order-search.json")
	if err := p.AddRecordedPage(rec); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()

	a := post(t, srv, signed(param("2020-04-30 00:00:00", "2020-05-02 00:00:00", 1, 100), nil))
	var want answer
	if err := json.Unmarshal(rec, &want); err != nil {
		t.Fatal(err)
	}
	for i, raw := range want.R.Result.List {
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			t.Fatal(err)
		}
		want.R.Result.List[i] = c.Bytes()
	}
	if a.Error != nil || !a.R.Result.APIResult.Success || a.R.Result.OrderTotal != 2 || !reflect.DeepEqual(a.R.Result.List, want.R.Result.List) {
		t.Errorf("want the recorded page back, got %+v", a)
	}
	// Windows by modified, both ends included.
	if a := post(t, srv, signed(param("2020-05-01 09:02:11", "2020-05-01 09:02:11", 1, 100), nil)); a.R.Result.OrderTotal != 1 {
		t.Errorf("a one-second window at the cancellation: want 1 order, got %d", a.R.Result.OrderTotal)
	}
}

func TestRequestChecks(t *testing.T) {
	p, err := jdsim.New(jdsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	ok := param("2020-04-30 00:00:00", "2020-05-01 00:00:00", 1, 10)
	tests := []struct {
		name string
		form url.Values
		code string // "": a page; "business": apiResult.success false
	}{
		{"signed right", signed(ok, nil), ""},
		{"sign of another secret", func() url.Values { f := signed(ok, nil); f.Set("timestamp", "2020-05-01 10:00:01"); return f }(), jdsim.CodeInvalidSignature},
		{"no sign", func() url.Values { f := signed(ok, nil); f.Del("sign"); return f }(), jdsim.CodeMissingSignature},
		{"lower-case sign", func() url.Values { f := signed(ok, nil); f.Set("sign", strings.ToLower(f.Get("sign"))); return f }(), jdsim.CodeInvalidSignature},
		{"wrong version", signed(ok, func(f url.Values) { f.Set("v", "1.0") }), jdsim.CodeUnsupportedVersion},
		{"wrong method", signed(ok, func(f url.Values) { f.Set("method", "jingdong.pop.order.get") }), jdsim.CodeInvalidMethod},
		{"bad timestamp", signed(ok, func(f url.Values) { f.Set("timestamp", "1588298400") }), jdsim.CodeInvalidTimestamp},
		{"wrong token", signed(ok, func(f url.Values) { f.Set("access_token", "x") }), jdsim.CodeInvalidAccessToken},
		{"page size over 100", signed(param("2020-04-30 00:00:00", "2020-05-01 00:00:00", 1, 101), nil), "business"},
		{"end before start", signed(param("2020-05-01 00:00:00", "2020-04-30 00:00:00", 1, 10), nil), "business"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, srv, tt.form)
			switch tt.code {
			case "":
				if a.Error != nil || !a.R.Result.APIResult.Success {
					t.Errorf("want a page, got %+v", a)
				}
			case "business":
				if a.Error != nil || a.R.Result.APIResult.Success {
					t.Errorf("want apiResult.success false, got %+v", a)
				}
			default:
				if a.Error == nil || a.Error.Code != tt.code {
					t.Errorf("want error_response code %s, got %+v", tt.code, a)
				}
			}
		})
	}
}

// TestPagingAndClock: pages cover orderTotal exactly once, and the clock
// decides which version each order shows.
func TestPagingAndClock(t *testing.T) {
	from := time.Date(2020, 5, 1, 0, 0, 0, 0, domain.ChinaTime)
	book, err := jdsim.Generate(jdsim.GenerateOptions{From: from, Span: 6 * time.Hour, Orders: 300, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := from.Add(3 * time.Hour)
	p, err := jdsim.New(jdsim.Options{Clock: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AddOrders(book.Orders...); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	stamp := func(f url.Values) { f.Set("timestamp", now.In(domain.ChinaTime).Format(time.DateTime)) }

	seen := map[string]bool{}
	total := -1
	for page := 1; ; page++ {
		a := post(t, srv, signed(param("2020-04-30 00:00:00", "2020-05-10 00:00:00", page, 7), stamp))
		if a.Error != nil {
			t.Fatalf("page %d: error %s", page, a.Error.Code)
		}
		total = a.R.Result.OrderTotal
		if len(a.R.Result.List) == 0 {
			break
		}
		for _, raw := range a.R.Result.List {
			var o struct{ OrderID, Modified string }
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatal(err)
			}
			if seen[o.OrderID] {
				t.Errorf("order %s on two pages", o.OrderID)
			}
			seen[o.OrderID] = true
			if m, _ := domain.ParseChinaTime(o.Modified); m.After(now) {
				t.Errorf("order %s shows a version modified %s, after the clock", o.OrderID, o.Modified)
			}
		}
	}
	placed := 0
	for _, o := range book.Orders {
		if !o.Versions[0].Visible.After(now) {
			placed++
		}
	}
	if len(seen) != total || total != placed {
		t.Errorf("want every order visible by the clock (%d) once, got %d of an orderTotal of %d", placed, len(seen), total)
	}
}

func TestGenerateLedger(t *testing.T) {
	opts := jdsim.GenerateOptions{From: time.Date(2020, 5, 1, 0, 0, 0, 0, domain.ChinaTime), Orders: 500, Seed: 9}
	a, err := jdsim.Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := jdsim.Generate(opts)
	if !reflect.DeepEqual(a.Ledger, b.Ledger) || len(a.Orders) != len(b.Orders) {
		t.Error("equal options gave different books")
	}
	l := a.Ledger
	var sum jdsim.Totals
	for _, d := range l.ByDay {
		sum.GMVFen += d.GMVFen
		sum.RefundsFen += d.RefundsFen
		sum.NetFen += d.NetFen
	}
	if sum != l.Totals || l.NetFen != l.GMVFen-l.RefundsFen {
		t.Errorf("ledger does not add up: totals %+v, days sum to %+v", l.Totals, sum)
	}
	if l.OrdersPaid != 500 || l.OrdersCreated != 500+l.OrdersNeverPaid || l.OrdersNeverPaid == 0 || l.OrdersRefunded == 0 {
		t.Errorf("orders: %+v", l)
	}
}
