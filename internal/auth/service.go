package auth

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"time"
)

// Config configures a Service. Zero fields take the defaults given.
type Config struct {
	// DataDir holds the accounts database (FileName). Required.
	DataDir string
	// SessionTTL is how long a browser session lasts. Default 12h.
	SessionTTL time.Duration
	// MaxAttempts failed sign-ins per account, and again per address,
	// within AttemptWindow lock further attempts out until the window has
	// passed. Defaults 5 and 15 minutes.
	MaxAttempts   int
	AttemptWindow time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger logs sign-ins and refusals by account name and address, never
	// passwords or tokens. Default slog.Default().
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.AttemptWindow == 0 {
		c.AttemptWindow = 15 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Validate returns every problem of the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("auth: DataDir is required"))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, fmt.Errorf("auth: SessionTTL %s is under a minute", c.SessionTTL))
	}
	if c.MaxAttempts < 1 || c.AttemptWindow <= 0 {
		errs = append(errs, errors.New("auth: MaxAttempts and AttemptWindow must be positive"))
	}
	return errors.Join(errs...)
}

// Service keeps the accounts, API tokens, sessions and the access log in
// an SQLite database in the data dir, and authenticates requests. It is
// safe for concurrent use.
type Service struct {
	cfg         Config
	db          *sql.DB
	tokenLookup *sql.Stmt
	limiter     *limiter
}

// Open opens (creating) the accounts database of cfg.DataDir.
func Open(ctx context.Context, cfg Config) (*Service, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := openDB(ctx, filepath.Join(cfg.DataDir, FileName))
	if err != nil {
		return nil, err
	}
	lookup, err := db.PrepareContext(ctx, tokenLookupSQL)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare the token lookup: %w", err)
	}
	return &Service{cfg: cfg, db: db, tokenLookup: lookup, limiter: newLimiter(cfg.MaxAttempts, cfg.AttemptWindow)}, nil
}

// Close closes the database; safe to call twice.
func (s *Service) Close() error { return errors.Join(s.tokenLookup.Close(), s.db.Close()) }

const (
	maxIDLen   = 64
	maxNameLen = 64
)

var accountName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// NewAccount is an account to create.
type NewAccount struct {
	Name         string
	Role         Role
	EnterpriseID string
	VillageID    string
	Password     string
}

// AddAccount creates an account.
func (s *Service) AddAccount(ctx context.Context, a NewAccount) error {
	if !accountName.MatchString(a.Name) {
		return fmt.Errorf("account name %q: use 1 to 64 letters, digits, '.', '_', '@' or '-'", a.Name)
	}
	if _, err := ParseRole(string(a.Role)); err != nil {
		return err
	}
	if err := checkBinding(a.Role, a.EnterpriseID, a.VillageID); err != nil {
		return err
	}
	if err := checkPassword(a.Password); err != nil {
		return err
	}
	hash, err := hashPassword(a.Password)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO accounts(name, role, enterprise_id, village_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Name, string(a.Role), a.EnterpriseID, a.VillageID, hash, s.cfg.Now().Unix())
	if err != nil {
		var exists int
		if s.db.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE name = ?`, a.Name).Scan(&exists) == nil {
			return fmt.Errorf("account %q exists already: use 'loquat users passwd' to change its password", a.Name)
		}
		return fmt.Errorf("add account %q: %w", a.Name, err)
	}
	return nil
}

// Account describes an account (never its password hash).
type Account struct {
	Name         string      `json:"name"`
	Role         Role        `json:"role"`
	EnterpriseID string      `json:"enterprise_id,omitempty"`
	VillageID    string      `json:"village_id,omitempty"`
	CreatedAt    time.Time   `json:"created_at"`
	Disabled     bool        `json:"disabled"`
	Tokens       []TokenInfo `json:"tokens"`
}

// TokenInfo describes an API token (never its value).
type TokenInfo struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Revoked   bool      `json:"revoked"`
}

// Accounts lists every account with its tokens, by name.
func (s *Service) Accounts(ctx context.Context) ([]Account, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, role, enterprise_id, village_id, created_at, disabled_at IS NOT NULL FROM accounts ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var out []Account
	for rows.Next() {
		var a Account
		var created int64
		if err := rows.Scan(&a.Name, &a.Role, &a.EnterpriseID, &a.VillageID, &created, &a.Disabled); err != nil {
			rows.Close()
			return nil, err
		}
		a.CreatedAt, a.Tokens = time.Unix(created, 0), []TokenInfo{}
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Tokens, err = s.tokens(ctx, out[i].Name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) tokens(ctx context.Context, account string) ([]TokenInfo, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at, expires_at, revoked_at IS NOT NULL FROM tokens WHERE account = ? ORDER BY created_at, id`, account)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []TokenInfo{}
	for rows.Next() {
		var t TokenInfo
		var created, expires int64
		if err := rows.Scan(&t.ID, &t.Name, &created, &expires, &t.Revoked); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt = time.Unix(created, 0), time.Unix(expires, 0)
		out = append(out, t)
	}
	return out, rows.Err()
}

// HasAccounts reports whether any account is enabled.
func (s *Service) HasAccounts(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE disabled_at IS NULL`).Scan(&n)
	return n > 0, err
}

// Disable disables an account: its tokens and sessions stop working on
// their next request.
func (s *Service) Disable(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET disabled_at = coalesce(disabled_at, ?) WHERE name = ?`, s.cfg.Now().Unix(), name)
	if err := affectedOne(res, err, fmt.Sprintf("account %q", name)); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE account = ?`, name)
	return err
}

// SetPassword replaces an account's password and ends its sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE accounts SET password_hash = ? WHERE name = ?`, hash, name)
	if err := affectedOne(res, err, fmt.Sprintf("account %q", name)); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE account = ?`, name)
	return err
}

// tokenPrefix starts every API token, so a leaked one is recognisable
// (secret scanners) and a malformed one is refused before any lookup.
const tokenPrefix = "lqt_"

// tokenLen is the length of a token: the prefix and 32 random bytes in base64url.
const tokenLen = len(tokenPrefix) + 43

// IssueToken creates an API token for account, valid for ttl. The token is
// returned once; only its SHA-256 is stored (it is 256 random bits, so a
// slow hash would add nothing but latency to every request).
func (s *Service) IssueToken(ctx context.Context, account, name string, ttl time.Duration) (string, TokenInfo, error) {
	if name == "" || len(name) > maxNameLen {
		return "", TokenInfo{}, fmt.Errorf("token name %q: give 1 to %d bytes saying what uses it", name, maxNameLen)
	}
	if ttl <= 0 || ttl > 5*365*24*time.Hour {
		return "", TokenInfo{}, fmt.Errorf("token lifetime %s: give one from 1s to 5 years", ttl)
	}
	var enabled bool
	if err := s.db.QueryRowContext(ctx, `SELECT disabled_at IS NULL FROM accounts WHERE name = ?`, account).Scan(&enabled); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", TokenInfo{}, fmt.Errorf("account %q: %w", account, ErrUnknownAccount)
		}
		return "", TokenInfo{}, err
	}
	if !enabled {
		return "", TokenInfo{}, fmt.Errorf("account %q is disabled", account)
	}
	token := tokenPrefix + randomSecret(32)
	now := s.cfg.Now()
	info := TokenInfo{ID: "tok_" + randomSecret(9), Name: name, CreatedAt: now.Truncate(time.Second), ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	sum := sha256.Sum256([]byte(token))
	_, err := s.db.ExecContext(ctx, `INSERT INTO tokens(id, account, name, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		info.ID, account, name, sum[:], info.CreatedAt.Unix(), info.ExpiresAt.Unix())
	if err != nil {
		return "", TokenInfo{}, fmt.Errorf("store token: %w", err)
	}
	return token, info, nil
}

// RevokeToken revokes a token by id; it fails on its next request.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, s.cfg.Now().Unix(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %q: no such token (see 'loquat users list')", id)
	}
	return nil
}
