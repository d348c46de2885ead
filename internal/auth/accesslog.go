package auth

import (
	"context"
	"fmt"
	"time"
)

// AccessEntry is one line of the access log: who read what, when, from where.
type AccessEntry struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Account string    `json:"account"`
	Role    Role      `json:"role"`
	TokenID string    `json:"token_id,omitempty"`
	Method  string    `json:"method"`
	Path    string    `json:"path"`
	Query   string    `json:"query,omitempty"`
	Remote  string    `json:"remote"`
}

// maxAccessText bounds what one entry keeps of a path or query.
const maxAccessText = 1024

func clip(s string) string {
	if len(s) > maxAccessText {
		return s[:maxAccessText]
	}
	return s
}

// appendAccess appends an entry. The table refuses updates and deletes
// (triggers), and Loquat has no way to edit it.
func (s *Service) appendAccess(ctx context.Context, e AccessEntry) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO access_log(at, account, role, token, method, path, query, remote) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), e.Account, string(e.Role), e.TokenID, e.Method, clip(e.Path), clip(e.Query), e.Remote)
	if err != nil {
		return fmt.Errorf("append to the access log: %w", err)
	}
	return nil
}

// AccessLog returns entries newest first, and how many there are.
func (s *Service) AccessLog(ctx context.Context, limit, offset int) ([]AccessEntry, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM access_log`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, at, account, role, token, method, path, query, remote FROM access_log ORDER BY seq DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []AccessEntry{}
	for rows.Next() {
		var e AccessEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Account, &e.Role, &e.TokenID, &e.Method, &e.Path, &e.Query, &e.Remote); err != nil {
			return nil, 0, err
		}
		e.At = time.UnixMilli(at)
		out = append(out, e)
	}
	return out, total, rows.Err()
}
