package auth

import (
	"context"
	"database/sql"
	"fmt"
	"math"
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
	out, err := scanAccess(rows)
	return out, total, err
}

func scanAccess(rows *sql.Rows) ([]AccessEntry, error) {
	defer rows.Close()
	out := []AccessEntry{}
	for rows.Next() {
		var e AccessEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Account, &e.Role, &e.TokenID, &e.Method, &e.Path, &e.Query, &e.Remote); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// accessChunk is how many entries EachAccess reads at a time.
const accessChunk = 5000

// EachAccess calls fn with every entry, newest first, reading them a chunk
// at a time (by seq, so entries appended meanwhile are not seen twice): an
// export of the whole log holds one chunk in memory, and no read
// transaction stays open while fn writes to a slow client.
func (s *Service) EachAccess(ctx context.Context, fn func(AccessEntry) error) error {
	before := int64(math.MaxInt64)
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT seq, at, account, role, token, method, path, query, remote FROM access_log WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, accessChunk)
		if err != nil {
			return err
		}
		chunk, err := scanAccess(rows)
		if err != nil {
			return err
		}
		for _, e := range chunk {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(chunk) < accessChunk {
			return nil
		}
		before = chunk[len(chunk)-1].Seq
	}
}
