package auth

import (
	"github.com/gin-gonic/gin"
)

// Authenticate finds a request's principal as Require does, for handlers
// that answer an unauthenticated request otherwise than with a 401 (the
// console's pages redirect to their sign-in page). It writes nothing to
// the response. Only read-only requests should use it: it checks a
// session's CSRF token as Require does, so a state-changing request
// without it fails.
func (s *Service) Authenticate(c *gin.Context) (Principal, error) {
	p, _, err := s.authenticate(c)
	return p, err
}

// RecordAccess appends the request to the access log as Require does for
// the routes it logs; a caller serving household-level data must not serve
// it when this fails.
func (s *Service) RecordAccess(c *gin.Context, p Principal) error {
	e := AccessEntry{At: s.cfg.Now(), Account: p.Account, Role: p.Role, TokenID: p.TokenID, Method: c.Request.Method,
		Path: c.Request.URL.Path, Query: c.Request.URL.RawQuery, Remote: c.RemoteIP()}
	return s.appendAccess(c.Request.Context(), e)
}
