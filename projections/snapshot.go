package projections

import (
	"context"
	"sync"
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
	if _, ok := ctx.Value(readSnapshotKey{}).(*readSnapshot); ok {
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
