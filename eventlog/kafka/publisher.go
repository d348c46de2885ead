package kafka

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// publisher commits concurrent Publish calls together (group commit): each
// call queues its records, and one committer goroutine takes everything
// queued, sends it in one round — one produce request per broker, carrying
// all of that broker's partitions — and answers each call once the brokers
// acknowledged its records. The committer sends at once (no linger by
// default): while a round is in flight the next calls queue up and form the
// next round, so batches grow with the load. Rounds run one after another,
// so a partition never has two produce requests in flight and a retry
// cannot be overtaken (see round).
//
// It is safe for concurrent use.
type publisher struct {
	log *Log
	// transport is the publisher's own (same settings as the log's): to
	// refresh its metadata the committer drops its connection pool, which
	// must not disturb the admin requests on the log's transport.
	transport *kafkago.Transport
	balancer  kafkago.Murmur2Balancer

	mu       sync.Mutex // guards closed and the queue
	closed   bool
	queue    []*publishCall
	queued   int            // records in queue
	wake     chan struct{}  // signalled (capacity 1) when a call is queued
	inflight sync.WaitGroup // Publish calls under way

	// roundCtx ends when Close has waited for every Publish call: what is
	// left belongs to callers that gave up, and is not retried any more.
	roundCtx    context.Context
	cancelRound context.CancelFunc
	stop        chan struct{} // closed by Close: the committer returns
	stopped     chan struct{} // closed by the committer when it returned
	closeOnce   sync.Once
}

// publishCall is one Publish call. Only the committer touches unacked and
// answered; done has room for the answer, so the committer never blocks on
// a caller that gave up.
type publishCall struct {
	ctx      context.Context
	topic    string
	records  []record
	unacked  int
	answered bool
	done     chan error
}

// record is one message of a call, encoded.
type record struct {
	call *publishCall
	msg  kafkago.Message // Key, Value, Headers
	size int             // about its size in a record batch
}

func newPublisher(l *Log) *publisher {
	ctx, cancel := context.WithCancel(context.Background())
	p := &publisher{
		log:         l,
		transport:   l.cfg.transport(),
		wake:        make(chan struct{}, 1),
		roundCtx:    ctx,
		cancelRound: cancel,
		stop:        make(chan struct{}),
		stopped:     make(chan struct{}),
	}
	go p.run()
	return p
}

// Publish writes msgs to topic and returns nil once the brokers acknowledged
// every one of them (Config.RequiredAcks), or an error. Concurrent calls
// share produce requests. Each message's key is its partition key
// (eventlog.MetaPartitionKey), else its UUID, hashed with Murmur2 as the
// Java client does.
//
// The first message's context bounds the wait: when it ends, Publish
// returns its error at once. Messages not yet sent then are not sent;
// messages already sent may still be stored. Likewise a Publish spanning
// partitions is not atomic: on an error some of its messages may be stored,
// and a retry stores them again (Loquat's consumers deduplicate by event
// id). See README.md, Delivery guarantees.
func (p *publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.inflight.Add(1)
	p.mu.Unlock()
	defer p.inflight.Done()

	if len(msgs) == 0 {
		return nil
	}
	ctx := msgs[0].Context()
	if err := p.log.ensureTopic(ctx, topic); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafka event log: publish %d messages to %s: %w", len(msgs), topic, context.Cause(ctx))
	}
	call := &publishCall{ctx: ctx, topic: topic, records: make([]record, len(msgs)), unacked: len(msgs), done: make(chan error, 1)}
	for i, msg := range msgs {
		km := toKafka(topic, msg)
		call.records[i] = record{call: call, msg: km, size: recordSize(km)}
	}
	p.enqueue(call)
	var err error
	select {
	case err = <-call.done:
	case <-ctx.Done():
		select {
		case err = <-call.done: // answered meanwhile: that is the result
		default:
			return fmt.Errorf("kafka event log: publish %d messages to %s: %w (they may or may not be stored)", len(msgs), topic, context.Cause(ctx))
		}
	}
	if err != nil {
		return fmt.Errorf("kafka event log: publish %d messages to %s: %w", len(msgs), topic, err)
	}
	p.log.logger.Trace("Published", watermill.LogFields{"topic": topic, "messages": len(msgs)})
	return nil
}

func (p *publisher) enqueue(call *publishCall) {
	p.mu.Lock()
	p.queue = append(p.queue, call)
	p.queued += len(call.records)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// take removes the calls of the next round from the queue: the oldest ones,
// up to Config.BatchSize records (at least one call, however large).
func (p *publisher) take() []*publishCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, records := 0, 0
	for n < len(p.queue) && (n == 0 || records+len(p.queue[n].records) <= p.log.cfg.BatchSize) {
		records += len(p.queue[n].records)
		n++
	}
	calls := p.queue[:n:n]
	if n == len(p.queue) {
		p.queue = nil
	} else {
		p.queue = p.queue[n:]
	}
	p.queued -= records
	return calls
}

func (p *publisher) queuedRecords() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queued
}

// run is the committer: it commits the queued calls round after round
// until Close.
func (p *publisher) run() {
	defer close(p.stopped)
	for {
		select {
		case <-p.wake:
		case <-p.stop:
			// Only calls whose callers gave up can be left: Close waited
			// for the others.
			for calls := p.take(); len(calls) > 0; calls = p.take() {
				for _, c := range calls {
					c.answer(ErrClosed)
				}
			}
			return
		}
		p.linger()
		for calls := p.take(); len(calls) > 0; calls = p.take() {
			p.commit(calls)
			p.yield()
		}
	}
}

// yield lets the callers the round just answered run before the next
// round is taken: those that publish again at once (under load, most)
// then join it instead of waiting for it to come back. Each yield lasts as
// long as the runnable goroutines take; it stops as soon as one adds
// nothing to the queue.
func (p *publisher) yield() {
	for range 4 {
		before := p.queuedCalls()
		runtime.Gosched()
		if p.queuedCalls() == before {
			return
		}
	}
}

func (p *publisher) queuedCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}

// linger waits up to Config.BatchTimeout (default 0: not at all) for
// Config.BatchSize records to be queued before an idle committer starts a
// round. Under load it does not apply: calls queue up while a round is in
// flight, and the next round takes them at once.
func (p *publisher) linger() {
	d := p.log.cfg.BatchTimeout
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for p.queuedRecords() < p.log.cfg.BatchSize {
		select {
		case <-p.wake:
		case <-timer.C:
			return
		case <-p.stop:
			return
		}
	}
}

// answer gives the call its result, once.
func (c *publishCall) answer(err error) {
	if c.answered {
		return
	}
	c.answered = true
	c.done <- err
}

// Close waits for the Publish calls under way (they are answered as
// usual), stops the committer and closes the publisher's connections. It is
// safe to call twice; Publish after it returns ErrClosed.
func (p *publisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.inflight.Wait()
		p.cancelRound()
		close(p.stop)
		<-p.stopped
		p.transport.CloseIdleConnections()
	})
	return nil
}
