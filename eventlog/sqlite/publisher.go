package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// ErrPublisherClosed is returned by Publish after Close.
var ErrPublisherClosed = errors.New("sqlite event log: publisher is closed")

// maxGroupMessages bounds how many queued messages one group commit takes.
const maxGroupMessages = 20000

type publishRequest struct {
	ctx   context.Context
	topic string
	db    *topicDB
	msgs  []*message.Message
	done  chan error
}

// publisher commits concurrent Publish calls in one transaction. With
// synchronous=FULL every commit is an fsync; grouping makes many small
// appends (one per webhook request) cost one fsync together.
type publisher struct {
	log      *Log
	requests chan *publishRequest

	mu      sync.RWMutex // guards closed against Publish racing Close
	closed  bool
	closing chan struct{}
	wg      sync.WaitGroup
}

func newPublisher(l *Log) *publisher {
	p := &publisher{log: l, requests: make(chan *publishRequest), closing: make(chan struct{})}
	p.wg.Add(1)
	go p.run()
	return p
}

// Publish appends msgs to topic atomically; when it returns nil they are
// committed to disk. The context of the first message bounds the wait.
func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ctx := msgs[0].Context()
	t, err := p.log.topic(ctx, topic)
	if err != nil {
		return err
	}
	req := &publishRequest{ctx: ctx, topic: topic, db: t, msgs: msgs, done: make(chan error, 1)}
	p.mu.RLock()
	if p.closed {
		p.mu.RUnlock()
		return ErrPublisherClosed
	}
	select {
	case p.requests <- req:
	case <-ctx.Done():
		p.mu.RUnlock()
		return ctx.Err()
	}
	p.mu.RUnlock()
	return <-req.done // the committer always answers, even while closing
}

func (p *publisher) run() {
	defer p.wg.Done()
	for {
		var first *publishRequest
		select {
		case first = <-p.requests:
		case <-p.closing:
			return
		}
		batch := []*publishRequest{first}
		n := len(first.msgs)
	drain:
		for n < maxGroupMessages {
			select {
			case r := <-p.requests:
				batch = append(batch, r)
				n += len(r.msgs)
			default:
				break drain
			}
		}
		if err := p.commitAll(batch); err != nil && len(batch) > 1 {
			// One bad request must not fail the others: retry each alone.
			for _, r := range batch {
				r.done <- p.commit(r.db, []*publishRequest{r})
			}
			continue
		} else {
			for _, r := range batch {
				r.done <- err
			}
		}
	}
}

// commitAll commits each topic's requests in one transaction of its file.
// Requests for different topics commit separately: a failure can then leave
// one topic committed, so callers of a failed batch are retried one by one
// and a retried request that had committed is appended again. That is safe:
// consumers deduplicate by event id.
func (p *publisher) commitAll(batch []*publishRequest) error {
	byDB := map[*topicDB][]*publishRequest{}
	var order []*topicDB
	for _, r := range batch {
		if _, ok := byDB[r.db]; !ok {
			order = append(order, r.db)
		}
		byDB[r.db] = append(byDB[r.db], r)
	}
	for _, db := range order {
		if err := p.commit(db, byDB[db]); err != nil {
			return err
		}
	}
	return nil
}

func (p *publisher) commit(db *topicDB, batch []*publishRequest) error {
	ctx := context.Background()
	if len(batch) == 1 {
		ctx = batch[0].ctx
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin append: %w", err)
	}
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			tx.Rollback()
			return err
		}
		for start := 0; start < len(r.msgs); start += maxMessagesPerInsert {
			end := min(start+maxMessagesPerInsert, len(r.msgs))
			q, err := p.log.schema.InsertQuery(wsql.InsertQueryParams{Topic: r.topic, Msgs: r.msgs[start:end]})
			if err != nil {
				tx.Rollback()
				return err
			}
			if _, err := tx.ExecContext(ctx, q.Query, q.Args...); err != nil {
				tx.Rollback()
				return fmt.Errorf("append %d messages to %s: %w", end-start, r.topic, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit append: %w", err)
	}
	for _, r := range batch {
		p.log.signals.appended(r.topic)
	}
	return nil
}

// Close waits for Publish calls under way and stops the committer. Safe to call twice.
func (p *publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock() // no Publish can enqueue now; those already queued were answered
	close(p.closing)
	p.wg.Wait()
	return nil
}
