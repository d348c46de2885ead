package kuaishou_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/loquat-dev/loquat/ingest/kuaishou"
	"github.com/loquat-dev/loquat/ingest/kuaishou/kuaishousim"
)

// resigner is a test-only transport: it replaces each request's sign with
// one over the signed parameters in the given order, as HMAC-SHA256 in hex
// or base64.
type resigner struct {
	order  []string
	secret string
	hexOut bool
}

func (rs resigner) RoundTrip(req *http.Request) (*http.Response, error) {
	q := req.URL.Query()
	var pairs []string
	for _, n := range rs.order {
		pairs = append(pairs, n+"="+q.Get(n))
	}
	m := hmac.New(sha256.New, []byte(rs.secret))
	m.Write([]byte(strings.Join(pairs, "&") + "&signSecret=" + rs.secret))
	sign := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if rs.hexOut {
		sign = hex.EncodeToString(m.Sum(nil))
	}
	q.Set("sign", sign)
	r2 := req.Clone(req.Context())
	r2.URL.RawQuery = q.Encode()
	return http.DefaultTransport.RoundTrip(r2)
}

var (
	sortedOrder = []string{"access_token", "appkey", "method", "param", "signMethod", "timestamp", "version"}
	// urlOrder is the order the platform's URL example lists them in.
	urlOrder = []string{"appkey", "method", "version", "param", "access_token", "timestamp", "signMethod"}
)

// TestSigningBugsAreRejected: the simulator checks signatures with its own
// code, so a poller that signs wrongly fails, clearly and for good.
func TestSigningBugsAreRejected(t *testing.T) {
	tests := []struct {
		name       string
		adjust     func(*kuaishou.Config)
		wantResult int64 // 0: accepted
	}{
		{"the adapter's signer, HMAC_SHA256", func(*kuaishou.Config) {}, 0},
		{"the adapter's signer, MD5", func(c *kuaishou.Config) { c.SignMethod = kuaishou.SignMD5 }, 0},
		{"a test signer, sorted, base64 (control)", func(c *kuaishou.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: sortedOrder, secret: kuaishousim.SampleSignSecret}}
		}, 0},
		{"wrong secret", func(c *kuaishou.Config) { c.SignSecret = "not-the-secret" }, kuaishousim.ResultSignInvalid},
		{"wrong secret, MD5", func(c *kuaishou.Config) { c.SignSecret, c.SignMethod = "not-the-secret", kuaishou.SignMD5 }, kuaishousim.ResultSignInvalid},
		{"parameters in URL order, not sorted", func(c *kuaishou.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: urlOrder, secret: kuaishousim.SampleSignSecret}}
		}, kuaishousim.ResultSignInvalid},
		{"HMAC in hex, not base64", func(c *kuaishou.Config) {
			c.HTTPClient = &http.Client{Transport: resigner{order: sortedOrder, secret: kuaishousim.SampleSignSecret, hexOut: true}}
		}, kuaishousim.ResultSignInvalid},
		{"wrong access token", func(c *kuaishou.Config) { c.AccessToken = "expired" }, kuaishousim.ResultTokenInvalid},
		{"wrong appkey", func(c *kuaishou.Config) { c.AppKey = "ks_someone_else" }, kuaishousim.ResultAppKeyInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newClockedRig(t, kuaishousim.Options{}, nil)
			mustNoErr(t, r.Sim.AddOrders(paidFixture(7001, "2020-05-02 10:00:30", 1).order(t)))
			r.Clock.Set(china("2020-05-02 12:00:00"))
			cfg := r.config(china("2020-05-02 09:00:00"))
			tt.adjust(&cfg)
			err := r.poller(t, cfg).RunOnce(context.Background())
			if tt.wantResult == 0 {
				mustNoErr(t, err)
				if len(r.Sink.Events()) == 0 {
					t.Error("accepted, but no events")
				}
				return
			}
			var apiErr *kuaishou.APIError
			if !errors.As(err, &apiErr) || apiErr.Result != tt.wantResult || apiErr.Temporary() {
				t.Fatalf("want a permanent APIError result %d, got %v", tt.wantResult, err)
			}
			if n := r.Sim.Requests(); n != 1 {
				t.Errorf("a rejected request is not worth retrying: want 1 request, got %d", n)
			}
			if len(r.Sink.Events()) != 0 || r.Cursors.Get("kuaishou") != "" {
				t.Error("a rejected request appended events or moved the cursor")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := r.poller(t, cfg).Run(ctx); !errors.As(err, &apiErr) || apiErr.Result != tt.wantResult {
				t.Errorf("Run: want APIError result %d, got %v", tt.wantResult, err)
			}
		})
	}
}

// TestSignMatchesDocumentedExample checks Sign on the platform's documented
// example string, both methods.
func TestSignMatchesDocumentedExample(t *testing.T) {
	param := `{"title":"短袖", "relItemId":123456, "categoryId":12}`
	q := url.Values{
		"appkey": {"ks123"}, "method": {"open.xxx.xxx.xxx"}, "version": {"1"}, "param": {param},
		"access_token": {"xxx"}, "timestamp": {"1583271919000"}, "signMethod": {"MD5"},
		"sign": {"ignored"}, "extra": {"not signed"},
	}
	plain := `access_token=xxx&appkey=ks123&method=open.xxx.xxx.xxx&param=` + param + `&signMethod=MD5&timestamp=1583271919000&version=1&signSecret=xxxxxx`
	if got, want := kuaishou.Sign("xxxxxx", kuaishou.SignMD5, q), fmt.Sprintf("%x", md5.Sum([]byte(plain))); got != want {
		t.Errorf("MD5 sign: want %s, got %s", want, got)
	}
	q.Set("signMethod", "HMAC_SHA256")
	plain = strings.Replace(plain, "signMethod=MD5", "signMethod=HMAC_SHA256", 1)
	m := hmac.New(sha256.New, []byte("xxxxxx"))
	m.Write([]byte(plain))
	if got, want := kuaishou.Sign("xxxxxx", kuaishou.SignHMACSHA256, q), base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("HMAC_SHA256 sign: want %s, got %s", want, got)
	}
}
