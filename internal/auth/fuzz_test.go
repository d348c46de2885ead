package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/auth"
)

// fuzzRouter is a Service on a real SQLite file guarding GET /x, with one
// valid token and one signed-in session.
func fuzzRouter(f *testing.F) (r *gin.Engine, token, sessionValue string) {
	svc, err := auth.Open(context.Background(), auth.Config{DataDir: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	if err := svc.AddAccount(context.Background(), auth.NewAccount{Name: "staff", Role: auth.RoleDistrictStaff, Password: password}); err != nil {
		f.Fatal(err)
	}
	if token, _, err = svc.IssueToken(context.Background(), "staff", "fuzz", time.Hour); err != nil {
		f.Fatal(err)
	}
	r = gin.New()
	svc.MountSignIn(r)
	r.Use(svc.Require(nil))
	r.GET("/x", func(c *gin.Context) { c.Status(http.StatusOK) })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/session", strings.NewReader(`{"user":"staff","password":"`+password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	r.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == auth.SessionCookie {
			sessionValue = c.Value
		}
	}
	if sessionValue == "" {
		f.Fatalf("sign-in answered %d without a session cookie", rec.Code)
	}
	return r, token, sessionValue
}

// FuzzAuthorizationHeader: any Authorization header either is the valid
// token after a case-insensitive "Bearer " and answers 200, or answers
// 401 — never a panic, a 500 or a pass for something else.
func FuzzAuthorizationHeader(f *testing.F) {
	r, token, _ := fuzzRouter(f)
	for _, s := range []string{"Bearer " + token, "bearer " + token, "Bearer " + token + " ", "Bearer", "Bearer ", "Basic Zm9vOmJhcg==",
		"Bearer lqt_", token, "Bearer " + strings.ToUpper(token), "Bearer\t" + token, "Bearer " + token[:20] + "\x00" + token[21:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header["Authorization"] = []string{h}
		r.ServeHTTP(rec, req)
		scheme, rest, _ := strings.Cut(h, " ")
		valid := strings.EqualFold(scheme, "bearer") && rest == token
		switch {
		case valid && rec.Code != http.StatusOK:
			t.Fatalf("the valid token in %q answers %d", h, rec.Code)
		case !valid && h != "" && rec.Code != http.StatusUnauthorized:
			t.Fatalf("Authorization %q answers %d, want 401", h, rec.Code)
		}
	})
}

// FuzzSessionCookie: any session cookie value other than the session's
// answers 401.
func FuzzSessionCookie(f *testing.F) {
	r, _, session := fuzzRouter(f)
	for _, s := range []string{session, session[1:], session + "A", "", "x", strings.Repeat("A", 43), session[:42] + "=", `"` + session + `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header["Cookie"] = []string{auth.SessionCookie + "=" + v}
		r.ServeHTTP(rec, req)
		// net/http reads a cookie value with its surrounding quotes removed.
		valid := v == session || v == `"`+session+`"`
		switch {
		case valid && rec.Code != http.StatusOK:
			t.Fatalf("the session's own value answers %d", rec.Code)
		case !valid && rec.Code != http.StatusUnauthorized:
			t.Fatalf("cookie %q answers %d, want 401", v, rec.Code)
		}
	})
}

// BenchmarkTokenCheck is the cost a bearer token adds to every request:
// its shape, one indexed lookup in accounts.db by SHA-256.
func BenchmarkTokenCheck(b *testing.B) {
	svc, err := auth.Open(context.Background(), auth.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	if err := svc.AddAccount(context.Background(), auth.NewAccount{Name: "staff", Role: auth.RoleDistrictStaff, Password: password}); err != nil {
		b.Fatal(err)
	}
	token, _, err := svc.IssueToken(context.Background(), "staff", "bench", time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := svc.AuthenticateToken(context.Background(), token); err != nil {
			b.Fatal(err)
		}
	}
}
