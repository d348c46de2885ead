package auth

import (
	"context"
	"fmt"
)

// Account returns the named account (without its tokens), or an error
// saying it does not exist.
func (s *Service) Account(ctx context.Context, name string) (Account, error) {
	all, err := s.Accounts(ctx)
	if err != nil {
		return Account{}, err
	}
	for _, a := range all {
		if a.Name == name {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("no account %q", name)
}

// RecordAction appends to the access log what an account did outside the
// API, e.g. a correction made with `loquat correct`: the log is who did
// what, whichever way they did it. what names the action (the entry's
// path), detail its target and reason (the query).
func (s *Service) RecordAction(ctx context.Context, a Account, what, detail string) error {
	return s.appendAccess(ctx, AccessEntry{At: s.cfg.Now(), Account: a.Name, Role: a.Role,
		Method: "CLI", Path: what, Query: detail, Remote: "local"})
}
