package sqlite

import (
	"context"
	stdsql "database/sql"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
)

// An idle subscriber used to look for new messages every 5ms: a serving
// node with nothing to do spent 12-15% of a core on it. Now appends made
// through this Log wake its subscribers at once, and an idle subscriber
// looks again only every PollInterval, for appends made by other processes
// (`loquat import` beside `loquat serve`).

// appendSignals tell subscribers that a topic has new messages. Each topic
// has a channel that is closed, and replaced, when an append to it commits.
// Safe for concurrent use.
type appendSignals struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// current returns the channel the next append to topic closes.
func (s *appendSignals) current(topic string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = map[string]chan struct{}{}
	}
	c, ok := s.ch[topic]
	if !ok {
		c = make(chan struct{})
		s.ch[topic] = c
	}
	return c
}

// appended wakes whoever waits for topic.
func (s *appendSignals) appended(topic string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ch[topic]; ok {
		close(c)
		delete(s.ch, topic)
	}
}

// idleWait is the watermill-sql BackoffManager and Beginner of one
// subscription. BeginTx notes the topic's append signal before the query
// reads, so an append that commits after the read closes the noted channel
// and is never missed; HandleError then waits for it (or PollInterval, or the
// end of the subscription) when the query found nothing.
type idleWait struct {
	wsql.Beginner
	signals *appendSignals
	topic   string
	poll    time.Duration
	retry   time.Duration
	done    <-chan struct{} // closed when the subscription ends (its context, ended by Close too)

	mu   sync.Mutex
	wake <-chan struct{}
}

var (
	_ wsql.BackoffManager = (*idleWait)(nil)
	_ wsql.Beginner       = (*idleWait)(nil)
)

func (w *idleWait) BeginTx(ctx context.Context, opts *stdsql.TxOptions) (wsql.Tx, error) {
	wake := w.signals.current(w.topic)
	w.mu.Lock()
	w.wake = wake
	w.mu.Unlock()
	return w.Beginner.BeginTx(ctx, opts)
}

// HandleError decides how long the subscription rests after a query. It
// returns 0 after waiting itself, so that an append wakes it at once. Once
// the subscription ends it returns a positive wait: the subscriber's loop
// then sees the end, where with 0 it could as well query again.
func (w *idleWait) HandleError(logger watermill.LoggerAdapter, noMsg bool, err error) time.Duration {
	select {
	case <-w.done:
		// Stopping: a query cut short by the shutdown is not a failure.
		return w.retry
	default:
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return w.retry // the subscription's context ended mid-query
		}
		logger.Error("Error querying for message", err, watermill.LogFields{"wait_time": w.retry})
		return w.retry
	}
	if !noMsg {
		return 0
	}
	w.mu.Lock()
	wake := w.wake
	w.mu.Unlock()
	t := time.NewTimer(w.poll)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-w.done:
		return w.retry
	}
	return 0
}
