package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrUnauthenticated is returned for a missing, malformed, unknown,
// expired or revoked credential, or one of a disabled account. It never
// says which, so it tells a guesser nothing.
var ErrUnauthenticated = errors.New("unauthenticated: sign in, or send Authorization: Bearer <token>")

// ErrTooManyAttempts is returned while sign-ins are locked out.
var ErrTooManyAttempts = errors.New("too many failed sign-ins: try again later")

// wellFormedToken checks a token's shape before any lookup.
func wellFormedToken(t string) bool {
	if len(t) != tokenLen || t[:len(tokenPrefix)] != tokenPrefix {
		return false
	}
	for i := len(tokenPrefix); i < len(t); i++ {
		if !isB64URL(t[i]) {
			return false
		}
	}
	return true
}

func isB64URL(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// sessionLen is the length of a session cookie's value: 32 random bytes in base64url.
const sessionLen = 43

func wellFormedSession(v string) bool {
	if len(v) != sessionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !isB64URL(v[i]) {
			return false
		}
	}
	return true
}

// tokenLookupSQL finds a live token's account; prepared once, as it runs
// on every request.
const tokenLookupSQL = `SELECT a.name, a.role, a.enterprise_id, a.village_id, t.id FROM tokens t JOIN accounts a ON a.name = t.account
	WHERE t.hash = ? AND t.revoked_at IS NULL AND t.expires_at > ? AND a.disabled_at IS NULL`

// AuthenticateToken returns the principal of an API token.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (Principal, error) {
	if !wellFormedToken(token) {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(token))
	var p Principal
	err := s.tokenLookup.QueryRowContext(ctx, sum[:], s.cfg.Now().Unix()).
		Scan(&p.Account, &p.Role, &p.EnterpriseID, &p.VillageID, &p.TokenID)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up token: %w", err)
	}
	return p, nil
}

// authenticateSession returns the principal of a session cookie's value,
// with the session's CSRF token.
func (s *Service) authenticateSession(ctx context.Context, value string) (Principal, error) {
	if !wellFormedSession(value) {
		return Principal{}, ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(value))
	var p Principal
	err := s.db.QueryRowContext(ctx, `SELECT a.name, a.role, a.enterprise_id, a.village_id, s.csrf FROM sessions s JOIN accounts a ON a.name = s.account
		WHERE s.hash = ? AND s.expires_at > ? AND a.disabled_at IS NULL`, sum[:], s.cfg.Now().Unix()).
		Scan(&p.Account, &p.Role, &p.EnterpriseID, &p.VillageID, &p.csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("look up session: %w", err)
	}
	return p, nil
}

// session is a signed-in browser session.
type session struct {
	value     string // the cookie's value; only its SHA-256 is stored
	csrf      string
	expiresAt time.Time
	principal Principal
}

// signIn checks a password and opens a session. Failures count against
// the account and the address; while either is locked out, even the right
// password is refused.
func (s *Service) signIn(ctx context.Context, name, password, addr string) (session, error) {
	now := s.cfg.Now()
	if !s.limiter.allowed(now, "account:"+name, "addr:"+addr) {
		s.cfg.Logger.Warn("sign-in locked out", "account", name, "remote", addr)
		return session{}, ErrTooManyAttempts
	}
	var hash string
	var p Principal
	err := s.db.QueryRowContext(ctx, `SELECT name, role, enterprise_id, village_id, password_hash FROM accounts WHERE name = ? AND disabled_at IS NULL`, name).
		Scan(&p.Account, &p.Role, &p.EnterpriseID, &p.VillageID, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return session{}, fmt.Errorf("look up account: %w", err)
	}
	ok := false
	if err == nil && len(password) <= maxPasswordLen {
		if ok, err = verifyPassword(hash, password); err != nil {
			return session{}, fmt.Errorf("account %q: %w", name, err)
		}
	}
	if !ok {
		s.limiter.fail(now, "account:"+name, "addr:"+addr)
		s.cfg.Logger.Info("sign-in refused", "account", name, "remote", addr)
		return session{}, ErrUnauthenticated
	}
	s.limiter.reset("account:" + name)
	out := session{value: randomSecret(32), csrf: randomSecret(32), expiresAt: now.Add(s.cfg.SessionTTL), principal: p}
	sum := sha256.Sum256([]byte(out.value))
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, now.Unix()); err != nil {
		return session{}, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions(hash, account, csrf, expires_at) VALUES (?, ?, ?, ?)`,
		sum[:], p.Account, out.csrf, out.expiresAt.Unix()); err != nil {
		return session{}, fmt.Errorf("store session: %w", err)
	}
	out.principal.csrf = out.csrf
	s.cfg.Logger.Info("signed in", "account", name, "remote", addr)
	return out, nil
}

// signOut ends a session.
func (s *Service) signOut(ctx context.Context, value string) error {
	sum := sha256.Sum256([]byte(value))
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, sum[:])
	return err
}
