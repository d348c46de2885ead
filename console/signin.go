package console

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// signIn serves the sign-in page. The form posts JSON to the API's POST
// /api/v1/session (console.js), which sets the session cookie: one
// sign-in path, with its lockout and its login-CSRF defence (JSON only).
// Without accounts there is nothing to sign in to: it goes to the start.
func (c *console) signIn(g *gin.Context) {
	if c.auth == nil {
		g.Redirect(http.StatusSeeOther, "/")
		return
	}
	v := c.newView(g, "", "signin")
	v.Nav = nil
	v.Data = struct{ Next string }{safeNext(g.Query("next"))}
	c.render(g, http.StatusOK, "signin", v)
}

// safeNext keeps the page to return to on this site (an open redirect
// would let a link sign someone in and send them elsewhere).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/sign-in") {
		return "/"
	}
	return next
}
