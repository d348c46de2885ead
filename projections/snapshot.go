package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A read snapshot makes the reads of one answer see one committed state: a
// store that learns its committed state with a query of its own (the
// ClickHouse store reads its last checkpoint) does so once per answer, not
// once per read, and the figures of one answer come from the same batch.
// Queries puts one in the context of every answer it composes.

type readSnapshotKey struct{}

type readSnapshot struct {
	mu    sync.Mutex
	value any
	set   bool
}

// WithReadSnapshot returns a context whose store reads share one snapshot.
func WithReadSnapshot(ctx context.Context) context.Context {
	if hasReadSnapshot(ctx) {
		return ctx
	}
	return context.WithValue(ctx, readSnapshotKey{}, &readSnapshot{})
}

// Snapshot returns the snapshot's state, calling load the first time (and
// every time when ctx has no snapshot). For stores: load reads the store's
// committed state.
func Snapshot[T any](ctx context.Context, load func() (T, error)) (T, error) {
	s, _ := ctx.Value(readSnapshotKey{}).(*readSnapshot)
	if s == nil {
		return load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.set {
		if v, ok := s.value.(T); ok {
			return v, nil
		}
	}
	v, err := load()
	if err != nil {
		return v, err
	}
	s.value, s.set = v, true
	return v, nil
}

// SnapshotValue returns the state loaded into ctx's snapshot, if a read
// under it has loaded one.
func SnapshotValue[T any](ctx context.Context) (T, bool) {
	var zero T
	s, _ := ctx.Value(readSnapshotKey{}).(*readSnapshot)
	if s == nil {
		return zero, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.value.(T)
	return v, ok && s.set
}

func hasReadSnapshot(ctx context.Context) bool {
	_, ok := ctx.Value(readSnapshotKey{}).(*readSnapshot)
	return ok
}

// SnapshotChecker is a Reader whose reads under one snapshot can see
// different states after all: the ClickHouse store, whose tables a rebuild
// swaps in one by one (ClickHouse renames several tables one after the
// other), so that the reads of one answer could mix the old tables and
// the new. Queries asks it once an answer is composed, and composes the
// answer again under a new snapshot when the snapshot did not hold.
type SnapshotChecker interface {
	// SnapshotHeld reports whether every read under ctx's snapshot read
	// the state the snapshot names; answerErr is what composing the answer
	// returned.
	SnapshotHeld(ctx context.Context, answerErr error) bool
}

// ErrSnapshotChanged: an answer could not be composed from one state of
// the read model in answerAttempts attempts.
var ErrSnapshotChanged = errors.New("the read model changed under the answer")

// answerAttempts bounds how often an answer is composed again.
const answerAttempts = 5

// answer composes an answer under a read snapshot of its own, and again
// when the store says the snapshot did not hold (see SnapshotChecker),
// after a short wait. Within a larger answer (ctx has a snapshot) it
// composes once: the larger answer is checked as a whole.
func answer[T any](ctx context.Context, q *Queries, compose func(context.Context) (T, error)) (T, error) {
	if hasReadSnapshot(ctx) {
		return compose(ctx)
	}
	checker, _ := q.Store.(SnapshotChecker)
	for attempt := 1; ; attempt++ {
		snap := WithReadSnapshot(ctx)
		v, err := compose(snap)
		if checker == nil || checker.SnapshotHeld(snap, err) {
			return v, err
		}
		if attempt == answerAttempts || ctx.Err() != nil {
			var zero T
			if err == nil {
				return zero, fmt.Errorf("%w in %d attempts (a rebuild swapping its tables in?)", ErrSnapshotChanged, attempt)
			}
			return zero, fmt.Errorf("%w in %d attempts (a rebuild swapping its tables in?); the last: %w", ErrSnapshotChanged, attempt, err)
		}
		select {
		case <-time.After(time.Duration(attempt) * 20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}
