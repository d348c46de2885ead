package jd_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/jd"
	"github.com/loquat-dev/loquat/ingest/jd/jdsim"
)

// resigner is a test-only transport: it replaces each request's sign with
// one computed over the parameters in the given order.
type resigner struct {
	order  func(names []string)
	secret string
	upper  bool
}

func (rs resigner) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	var names []string
	for n := range form {
		if n != "sign" {
			names = append(names, n)
		}
	}
	rs.order(names)
	s := rs.secret
	for _, n := range names {
		s += n + form.Get(n)
	}
	sum := md5.Sum([]byte(s + rs.secret))
	sign := hex.EncodeToString(sum[:])
	if rs.upper {
		sign = strings.ToUpper(sign)
	}
	form.Set("sign", sign)
	enc := form.Encode()
	r2 := req.Clone(req.Context())
	r2.Body, r2.ContentLength = io.NopCloser(strings.NewReader(enc)), int64(len(enc))
	return http.DefaultTransport.RoundTrip(r2)
}

// routerOrder is the order the router documents its parameters in, not
// sorted by name.
func routerOrder(names []string) {
	rank := map[string]int{"method": 0, "app_key": 1, "access_token": 2, "timestamp": 3, "v": 4, "360buy_param_json": 5}
	sort.Slice(names, func(i, j int) bool { return rank[names[i]] < rank[names[j]] })
}

// TestSigningBugsAreRejected: the simulator checks signatures with its own
// code, so a poller that signs wrongly fails, clearly and for good.
func TestSigningBugsAreRejected(t *testing.T) {
	tests := []struct {
		name     string
		adjust   func(*jd.Config)
		wantCode string // "" : accepted
	}{
		{"the adapter's signer", func(*jd.Config) {}, ""},
		{"a test signer, sorted, upper case (control)", func(c *jd.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: sort.Strings, secret: jdsim.SampleAppSecret, upper: true}}
		}, ""},
		{"wrong secret", func(c *jd.Config) { c.AppSecret = "not-the-secret" }, jdsim.CodeInvalidSignature},
		{"parameters in router order, not sorted", func(c *jd.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: routerOrder, secret: jdsim.SampleAppSecret, upper: true}}
		}, jdsim.CodeInvalidSignature},
		{"lower-case hex", func(c *jd.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: sort.Strings, secret: jdsim.SampleAppSecret}}
		}, jdsim.CodeInvalidSignature},
		{"wrong access token", func(c *jd.Config) { c.AccessToken = "expired" }, jdsim.CodeInvalidAccessToken},
		{"wrong app key", func(c *jd.Config) { c.AppKey = "someone-else" }, jdsim.CodeInvalidAppKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClockedRig(t, jdsim.Options{}, nil)
			mustNoErr(t, r.Sim.AddOrders(paidFixture("3001", "2020-05-02 10:00:30", "", item{"100012043978", "59.90", 1}).order(t)))
			r.Clock.Set(china("2020-05-02 12:00:00"))
			cfg := r.config(china("2020-05-02 09:00:00"))
			tt.adjust(&cfg)
			err := r.poller(t, cfg).RunOnce(context.Background())
			if tt.wantCode == "" {
				mustNoErr(t, err)
				if len(r.Sink.Events()) == 0 {
					t.Error("accepted, but no events")
				}
				return
			}
			var apiErr *jd.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode || apiErr.Temporary() {
				t.Fatalf("want a permanent APIError code %s, got %v", tt.wantCode, err)
			}
			if n := r.Sim.Requests(); n != 1 {
				t.Errorf("a rejected signature is not worth retrying: want 1 request, got %d", n)
			}
			if len(r.Sink.Events()) != 0 || r.Cursors.Get("jd") != "" {
				t.Error("a rejected request appended events or moved the cursor")
			}
			// Run stops too, with the same error, instead of polling forever.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.poller(t, cfg).Run(ctx); !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode {
				t.Errorf("Run: want APIError code %s, got %v", tt.wantCode, err)
			}
		})
	}
}

// TestSignMatchesDocumentedExample checks Sign on a request worked by hand
// from the documented rule.
func TestSignMatchesDocumentedExample(t *testing.T) {
	params := url.Values{
		"v": {"2.0"}, "method": {"jingdong.pop.order.search"}, "app_key": {"K"}, "access_token": {"T"},
		"timestamp": {"2020-05-01 10:00:00"}, "360buy_param_json": {`{"page":"1"}`}, "sign": {"ignored"},
	}
	plain := `S360buy_param_json{"page":"1"}access_tokenTapp_keyKmethodjingdong.pop.order.searchtimestamp2020-05-01 10:00:00v2.0S`
	want := fmt.Sprintf("%X", md5.Sum([]byte(plain)))
	if got := jd.Sign("S", params); got != want {
		t.Errorf("Sign: want %s (MD5 of %s), got %s", want, plain, got)
	}
	if bytes.ContainsAny([]byte(jd.Sign("S", params)), "abcdef") {
		t.Error("Sign is not upper-case hex")
	}
}
