package auth

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/loquat-dev/loquat/internal/export"
)

const (
	// SessionCookie is the browser session's cookie.
	SessionCookie = "loquat_session"
	// CSRFHeader carries the session's CSRF token on every state-changing
	// request a browser session makes.
	CSRFHeader = "X-CSRF-Token"
	// principalKey is where Require puts the Principal in a gin.Context.
	principalKey = "loquat.auth.principal"
	// maxAuthorization bounds the Authorization header we look at.
	maxAuthorization = 200
	maxSignInBody    = 4 << 10
)

// PrincipalOf returns the principal Require authenticated.
func PrincipalOf(c *gin.Context) (Principal, bool) {
	v, ok := c.Get(principalKey)
	if !ok {
		return Principal{}, false
	}
	p, ok := v.(Principal)
	return p, ok
}

// safeMethod reports whether a method only reads (no CSRF token needed).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// bearer returns the token of an Authorization header "Bearer <token>";
// ok is false for any other shape.
func bearer(h string) (token string, ok bool) {
	if len(h) > maxAuthorization {
		return "", false
	}
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || !wellFormedToken(token) {
		return "", false
	}
	return token, true
}

// authenticate finds the request's principal: the Authorization header if
// there is one (a bad one is not rescued by a cookie), else the session
// cookie, whose state-changing requests must carry the CSRF token.
func (s *Service) authenticate(c *gin.Context) (Principal, int, error) {
	if h := c.GetHeader("Authorization"); h != "" {
		token, ok := bearer(h)
		if !ok {
			return Principal{}, http.StatusUnauthorized, ErrUnauthenticated
		}
		p, err := s.AuthenticateToken(c.Request.Context(), token)
		return p, statusOf(err), err
	}
	cookie, err := c.Request.Cookie(SessionCookie)
	if err != nil {
		return Principal{}, http.StatusUnauthorized, ErrUnauthenticated
	}
	p, err := s.authenticateSession(c.Request.Context(), cookie.Value)
	if err != nil {
		return Principal{}, statusOf(err), err
	}
	if !safeMethod(c.Request.Method) && subtle.ConstantTimeCompare([]byte(c.GetHeader(CSRFHeader)), []byte(p.csrf)) != 1 {
		return Principal{}, http.StatusForbidden, errors.New("forbidden: a signed-in browser's state-changing request needs its " + CSRFHeader + " header (from POST or GET /api/v1/session)")
	}
	return p, http.StatusOK, nil
}

func statusOf(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnauthenticated):
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

func (s *Service) refuse(c *gin.Context, status int, err error) {
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="loquat"`)
	}
	msg := err.Error()
	if status == http.StatusInternalServerError {
		s.cfg.Logger.Error("authentication failed", "path", c.FullPath(), "err", err)
		msg = "internal error: authentication failed"
	}
	c.AbortWithStatusJSON(status, gin.H{"error": msg})
}

// Require authenticates every request of the routes it guards and, for
// those logged(c) selects (household-level reads, exports), appends an
// access-log entry before the handler runs: if the entry cannot be
// written, the data is not served.
func (s *Service) Require(logged func(c *gin.Context) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, status, err := s.authenticate(c)
		if err != nil {
			s.refuse(c, status, err)
			return
		}
		c.Set(principalKey, p)
		if logged != nil && logged(c) {
			e := AccessEntry{At: s.cfg.Now(), Account: p.Account, Role: p.Role, TokenID: p.TokenID, Method: c.Request.Method,
				Path: c.Request.URL.Path, Query: c.Request.URL.RawQuery, Remote: c.RemoteIP()}
			if err := s.appendAccess(c.Request.Context(), e); err != nil {
				s.refuse(c, http.StatusInternalServerError, err)
				return
			}
		}
		c.Next()
	}
}

// MountSignIn adds POST /session (sign in) to g; it must be outside Require.
func (s *Service) MountSignIn(g gin.IRouter) { g.POST("/session", s.signInHandler) }

// MountSignedIn adds GET and DELETE /session (who am I; sign out) and GET
// /access-log to g, a group guarded by Require.
func (s *Service) MountSignedIn(g gin.IRouter) {
	g.GET("/session", s.whoAmI)
	g.DELETE("/session", s.signOutHandler)
	g.GET("/access-log", s.accessLogHandler)
}

type signInRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// sessionAnswer is what sign-in and GET /session answer.
type sessionAnswer struct {
	Account      string     `json:"account"`
	Role         Role       `json:"role"`
	EnterpriseID string     `json:"enterprise_id,omitempty"`
	VillageID    string     `json:"village_id,omitempty"`
	CSRFToken    string     `json:"csrf_token,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
}

func answerOf(p Principal) sessionAnswer {
	return sessionAnswer{Account: p.Account, Role: p.Role, EnterpriseID: p.EnterpriseID, VillageID: p.VillageID, CSRFToken: p.csrf}
}

func (s *Service) signInHandler(c *gin.Context) {
	// JSON only: a cross-site form cannot send it without a CORS preflight,
	// which Loquat never grants (login CSRF).
	if ct := c.ContentType(); ct != "application/json" {
		c.JSON(http.StatusUnsupportedMediaType, gin.H{"error": `sign in with Content-Type: application/json and {"user": "...", "password": "..."}`})
		return
	}
	var req signInRequest
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxSignInBody+1))
	if err != nil || len(body) > maxSignInBody || json.Unmarshal(body, &req) != nil || req.User == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": `bad request: send {"user": "...", "password": "..."} (at most 4 KiB)`})
		return
	}
	sess, err := s.signIn(c.Request.Context(), req.User, req.Password, c.RemoteIP())
	switch {
	case errors.Is(err, ErrTooManyAttempts):
		c.Header("Retry-After", strconv.Itoa(int(s.cfg.AttemptWindow.Seconds())))
		c.JSON(http.StatusTooManyRequests, gin.H{"error": err.Error()})
		return
	case errors.Is(err, ErrUnauthenticated):
		c.JSON(http.StatusUnauthorized, gin.H{"error": "unauthenticated: wrong user name or password"})
		return
	case err != nil:
		s.refuse(c, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: sess.value, Path: "/", Expires: sess.expiresAt,
		MaxAge: int(s.cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	out := answerOf(sess.principal)
	out.ExpiresAt = &sess.expiresAt
	c.JSON(http.StatusOK, out)
}

func (s *Service) whoAmI(c *gin.Context) {
	p, _ := PrincipalOf(c)
	c.JSON(http.StatusOK, answerOf(p))
}

func (s *Service) signOutHandler(c *gin.Context) {
	if cookie, err := c.Request.Cookie(SessionCookie); err == nil && wellFormedSession(cookie.Value) {
		if err := s.signOut(c.Request.Context(), cookie.Value); err != nil {
			s.refuse(c, http.StatusInternalServerError, err)
			return
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: c.Request.TLS != nil, SameSite: http.SameSiteStrictMode})
	c.Status(http.StatusNoContent)
}

func (s *Service) accessLogHandler(c *gin.Context) {
	p, _ := PrincipalOf(c)
	if !p.Role.ReadsAccessLog() {
		c.JSON(http.StatusForbidden, gin.H{"error": "forbidden: the access log is read by auditor and district_admin accounts"})
		return
	}
	if c.Query("format") != "" {
		s.exportAccessLog(c)
		return
	}
	limit, offset := 100, 0
	if v, err := strconv.Atoi(c.DefaultQuery("limit", "100")); err == nil && v >= 1 && v <= 10000 {
		limit = v
	} else {
		c.JSON(http.StatusBadRequest, gin.H{"error": "bad request: limit must be an integer from 1 to 10000"})
		return
	}
	if v, err := strconv.Atoi(c.DefaultQuery("offset", "0")); err == nil && v >= 0 {
		offset = v
	} else {
		c.JSON(http.StatusBadRequest, gin.H{"error": "bad request: offset must be a non-negative integer"})
		return
	}
	items, total, err := s.AccessLog(c.Request.Context(), limit, offset)
	if err != nil {
		s.refuse(c, http.StatusInternalServerError, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total})
}

// exportAccessLog answers GET /access-log?format=csv|xlsx: every entry,
// newest first, as a file (see internal/export). Require has logged the
// export itself before this runs.
func (s *Service) exportAccessLog(c *gin.Context) {
	f, err := export.ParseFormat(c.Query("format"))
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "bad request: format " + err.Error()})
		return
	}
	if c.Query("limit") != "" || c.Query("offset") != "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "bad request: format=" + string(f) + " exports every entry; leave out limit and offset"})
		return
	}
	c.Header("Content-Type", f.ContentType())
	c.Header("Content-Disposition", `attachment; filename="access-log.`+string(f)+`"`)
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	sheet, err := export.NewSheet(c.Writer, f, reflect.TypeFor[AccessEntry]())
	if err == nil {
		if err = s.EachAccess(c.Request.Context(), func(e AccessEntry) error { return sheet.Write(e) }); err != nil {
			sheet.Discard()
		} else {
			err = sheet.Close()
		}
	}
	if err != nil && !c.Writer.Written() { // an .xlsx writes only once complete
		c.Writer.Header().Del("Content-Disposition")
		s.refuse(c, http.StatusInternalServerError, err)
		return
	}
	if err != nil {
		s.cfg.Logger.Warn("access log export not finished", "err", err)
	}
}
