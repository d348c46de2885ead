package auth_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/auth"
)

// clock is a settable clock for expiry and lock-out windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// fixture is a Service on a real SQLite file behind a real HTTP server:
// POST /api/v1/session outside Require, and behind it GET /api/v1/households
// (access-logged), GET /api/v1/overview and POST /api/v1/echo.
type fixture struct {
	svc   *auth.Service
	clock *clock
	dir   string
	srv   *httptest.Server
}

const password = "correct horse battery"

func newFixture(t *testing.T, useTLS bool) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}, dir: t.TempDir()}
	svc, err := auth.Open(context.Background(), auth.Config{DataDir: f.dir, Now: f.clock.Now, MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	f.svc = svc
	for _, a := range []auth.NewAccount{
		{Name: "admin", Role: auth.RoleDistrictAdmin, Password: password},
		{Name: "staff", Role: auth.RoleDistrictStaff, Password: password},
		{Name: "ent", Role: auth.RoleEnterprise, EnterpriseID: "E-01", Password: password},
	} {
		if err := svc.AddAccount(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	r := gin.New()
	v1 := r.Group("/api/v1")
	svc.MountSignIn(v1)
	v1.Use(svc.Require(func(c *gin.Context) bool { return strings.HasPrefix(c.FullPath(), "/api/v1/households") }))
	svc.MountSignedIn(v1)
	ok := func(c *gin.Context) {
		p, _ := auth.PrincipalOf(c)
		c.JSON(http.StatusOK, gin.H{"account": p.Account})
	}
	v1.GET("/households", ok)
	v1.GET("/overview", ok)
	v1.POST("/echo", ok)
	if useTLS {
		f.srv = httptest.NewTLSServer(r)
	} else {
		f.srv = httptest.NewServer(r)
	}
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := f.srv.Client()
	c.Jar = jar
	return c
}

func do(t *testing.T, c *http.Client, method, url string, header map[string]string, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

func TestTokens(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	good, _, err := f.svc.IssueToken(ctx, "staff", "ci", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	revoked, info, err := f.svc.IssueToken(ctx, "staff", "old", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiring, _, err := f.svc.IssueToken(ctx, "staff", "short", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ofDisabled, _, err := f.svc.IssueToken(ctx, "ent", "ent", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c := f.srv.Client()
	// Each works first: the cases below fail because of what is done to them.
	for _, tok := range []string{good, revoked, expiring, ofDisabled} {
		if resp := do(t, c, "GET", f.srv.URL+"/api/v1/overview", bearer(tok), ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("a fresh token answers %d, want 200", resp.StatusCode)
		}
	}
	if err := f.svc.RevokeToken(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Disable(ctx, "ent"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(2 * time.Minute)
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"valid", bearer(good), http.StatusOK},
		{"lower-case scheme", map[string]string{"Authorization": "bearer " + good}, http.StatusOK},
		{"none", nil, http.StatusUnauthorized},
		{"revoked", bearer(revoked), http.StatusUnauthorized},
		{"expired", bearer(expiring), http.StatusUnauthorized},
		{"disabled account", bearer(ofDisabled), http.StatusUnauthorized},
		{"malformed: no scheme", map[string]string{"Authorization": good}, http.StatusUnauthorized},
		{"malformed: basic", map[string]string{"Authorization": "Basic YWRtaW46cGFzcw=="}, http.StatusUnauthorized},
		{"malformed: truncated", bearer(good[:len(good)-1]), http.StatusUnauthorized},
		{"malformed: one character changed", bearer(good[:len(good)-1] + flip(good[len(good)-1])), http.StatusUnauthorized},
		{"malformed: two spaces", map[string]string{"Authorization": "Bearer  " + good}, http.StatusUnauthorized},
		{"a bad header is not rescued by a good cookie", map[string]string{"Authorization": "Bearer x", "Cookie": "loquat_session=x"}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/overview", "/api/v1/households", "/api/v1/session", "/api/v1/access-log"} {
				resp := do(t, c, "GET", f.srv.URL+path, tc.header, "")
				want := tc.want
				if want == http.StatusOK && path == "/api/v1/access-log" {
					want = http.StatusForbidden // staff does not read the access log
				}
				if resp.StatusCode != want {
					t.Errorf("GET %s answers %d, want %d", path, resp.StatusCode, want)
				}
				if want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
					t.Errorf("GET %s: 401 without WWW-Authenticate", path)
				}
			}
		})
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func signIn(t *testing.T, c *http.Client, url, user, pw string) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user": user, "password": pw})
	return do(t, c, "POST", url+"/api/v1/session", map[string]string{"Content-Type": "application/json"}, string(body))
}

func TestSignInLimitedPerAccountAndAddress(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	for i := range 3 {
		if resp := signIn(t, c, f.srv.URL, "staff", "wrong password!"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d answers %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := signIn(t, c, f.srv.URL, "staff", password)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("the right password after 3 failures answers %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The address is locked out too: another account from it is refused.
	if resp := signIn(t, c, f.srv.URL, "admin", password); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("another account from a locked-out address answers %d, want 429", resp.StatusCode)
	}
	f.clock.Advance(16 * time.Minute)
	if resp := signIn(t, c, f.srv.URL, "staff", password); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the window the right password answers %d, want 200", resp.StatusCode)
	}
	// Unknown accounts count against the address as well.
	for range 3 {
		signIn(t, c, f.srv.URL, "nobody", "whatever password")
	}
	if resp := signIn(t, c, f.srv.URL, "admin", password); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 3 unknown accounts the address answers %d, want 429", resp.StatusCode)
	}
}

func TestSessionCookieAndCSRF(t *testing.T) {
	for _, useTLS := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[useTLS], func(t *testing.T) {
			f := newFixture(t, useTLS)
			c := f.client(t)
			if resp := signIn(t, c, f.srv.URL, "admin", password[:5]+"x"+password[6:]); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a wrong password answers %d, want 401", resp.StatusCode)
			}
			if resp := do(t, c, "POST", f.srv.URL+"/api/v1/session", map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
				"user=admin&password="+password); resp.StatusCode != http.StatusUnsupportedMediaType {
				t.Fatalf("a form sign-in answers %d, want 415", resp.StatusCode)
			}
			resp := signIn(t, c, f.srv.URL, "admin", password)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("sign-in answers %d", resp.StatusCode)
			}
			var cookie *http.Cookie
			for _, ck := range resp.Cookies() {
				if ck.Name == auth.SessionCookie {
					cookie = ck
				}
			}
			if cookie == nil {
				t.Fatal("sign-in set no session cookie")
			}
			if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure != useTLS || cookie.Path != "/" {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Secure=%v Path=%q, want true, Strict, %v, /", cookie.HttpOnly, cookie.SameSite, cookie.Secure, cookie.Path, useTLS)
			}
			var answer struct {
				CSRF string `json:"csrf_token"`
				Role string `json:"role"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer.CSRF == "" || answer.Role != "district_admin" {
				t.Fatalf("sign-in answered %+v, %v", answer, err)
			}
			if resp := do(t, c, "GET", f.srv.URL+"/api/v1/overview", nil, ""); resp.StatusCode != http.StatusOK {
				t.Fatalf("a read with the cookie answers %d", resp.StatusCode)
			}
			for _, tc := range []struct {
				name   string
				header map[string]string
				want   int
			}{
				{"no CSRF token", nil, http.StatusForbidden},
				{"wrong CSRF token", map[string]string{auth.CSRFHeader: answer.CSRF[:len(answer.CSRF)-1] + flip(answer.CSRF[len(answer.CSRF)-1])}, http.StatusForbidden},
				{"its CSRF token", map[string]string{auth.CSRFHeader: answer.CSRF}, http.StatusOK},
			} {
				if resp := do(t, c, "POST", f.srv.URL+"/api/v1/echo", tc.header, "{}"); resp.StatusCode != tc.want {
					t.Errorf("%s: POST answers %d, want %d", tc.name, resp.StatusCode, tc.want)
				}
			}
			if resp := do(t, c, "DELETE", f.srv.URL+"/api/v1/session", nil, ""); resp.StatusCode != http.StatusForbidden {
				t.Fatalf("sign-out without its CSRF token answers %d, want 403", resp.StatusCode)
			}
			if resp := do(t, c, "DELETE", f.srv.URL+"/api/v1/session", map[string]string{auth.CSRFHeader: answer.CSRF}, ""); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("sign-out answers %d, want 204", resp.StatusCode)
			}
			// The old cookie value no longer works, even if a client kept it.
			stale := f.srv.Client()
			if resp := do(t, stale, "GET", f.srv.URL+"/api/v1/overview", map[string]string{"Cookie": auth.SessionCookie + "=" + cookie.Value}, ""); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("a signed-out session answers %d, want 401", resp.StatusCode)
			}
		})
	}
}

func TestSessionExpiresAndEndsWithPasswordChange(t *testing.T) {
	f := newFixture(t, false)
	c := f.client(t)
	if resp := signIn(t, c, f.srv.URL, "staff", password); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	if err := f.svc.SetPassword(context.Background(), "staff", "another long password"); err != nil {
		t.Fatal(err)
	}
	if resp := do(t, c, "GET", f.srv.URL+"/api/v1/overview", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a session after its password changed answers %d, want 401", resp.StatusCode)
	}
	if resp := signIn(t, c, f.srv.URL, "staff", "another long password"); resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	f.clock.Advance(12*time.Hour + time.Second)
	if resp := do(t, c, "GET", f.srv.URL+"/api/v1/overview", nil, ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a session past its 12 hours answers %d, want 401", resp.StatusCode)
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	staff, _, _ := f.svc.IssueToken(ctx, "staff", "ci", time.Hour)
	admin, _, _ := f.svc.IssueToken(ctx, "admin", "ci", time.Hour)
	c := f.srv.Client()
	do(t, c, "GET", f.srv.URL+"/api/v1/households?village_id=V-01", bearer(staff), "")
	do(t, c, "GET", f.srv.URL+"/api/v1/overview", bearer(staff), "")
	do(t, c, "GET", f.srv.URL+"/api/v1/households", nil, "") // refused: not logged as a read
	resp := do(t, c, "GET", f.srv.URL+"/api/v1/access-log", bearer(admin), "")
	var got struct {
		Items []auth.AccessEntry `json:"items"`
		Total int                `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 1 || len(got.Items) != 1 {
		t.Fatalf("access log holds %d entries, want the one household read: %+v", got.Total, got.Items)
	}
	e := got.Items[0]
	if e.Account != "staff" || e.Role != auth.RoleDistrictStaff || e.Path != "/api/v1/households" || e.Query != "village_id=V-01" ||
		e.Remote != "127.0.0.1" || !e.At.Equal(f.clock.Now().Truncate(time.Millisecond)) || e.TokenID == "" {
		t.Errorf("entry %+v: want staff's read of /api/v1/households?village_id=V-01 from 127.0.0.1 at %s", e, f.clock.Now())
	}
	// Nothing in Loquat edits it, and the database itself refuses to.
	db, err := sql.Open("sqlite", "file:"+f.dir+"/"+auth.FileName)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{`UPDATE access_log SET account = 'someone'`, `DELETE FROM access_log`} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want the append-only refusal", stmt, err)
		}
	}
}

func TestAccounts(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		a    auth.NewAccount
		want string
	}{
		{"duplicate", auth.NewAccount{Name: "admin", Role: auth.RoleAuditor, Password: password}, "exists already"},
		{"unknown role", auth.NewAccount{Name: "x", Role: "root", Password: password}, "role"},
		{"enterprise without id", auth.NewAccount{Name: "x", Role: auth.RoleEnterprise, Password: password}, "--enterprise"},
		{"village with enterprise", auth.NewAccount{Name: "x", Role: auth.RoleVillage, VillageID: "V", EnterpriseID: "E", Password: password}, "--village"},
		{"auditor bound", auth.NewAccount{Name: "x", Role: auth.RoleAuditor, VillageID: "V", Password: password}, "not bound"},
		{"short password", auth.NewAccount{Name: "x", Role: auth.RoleAuditor, Password: "short"}, "password"},
		{"bad name", auth.NewAccount{Name: "a b", Role: auth.RoleAuditor, Password: password}, "account name"},
	} {
		if err := f.svc.AddAccount(ctx, tc.a); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one saying %q", tc.name, err, tc.want)
		}
	}
	accounts, err := f.svc.Accounts(ctx)
	if err != nil || len(accounts) != 3 {
		t.Fatalf("accounts %+v, %v: want the fixture's 3", accounts, err)
	}
	if _, _, err := f.svc.IssueToken(ctx, "nobody", "x", time.Hour); err == nil {
		t.Error("a token for an unknown account was issued")
	}
	if err := f.svc.Disable(ctx, "nobody"); err == nil {
		t.Error("disabling an unknown account succeeded")
	}
	// Only hashes are stored: neither the password nor a token's value is in the file.
	tok, _, _ := f.svc.IssueToken(ctx, "admin", "ci", time.Hour)
	f.svc.Close()
	raw := readFile(t, f.dir+"/"+auth.FileName) + readFile(t, f.dir+"/"+auth.FileName+"-wal")
	for _, secret := range []string{password, tok} {
		if strings.Contains(raw, secret) {
			t.Errorf("the accounts database holds a secret in clear text")
		}
	}
}
