package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
)

// maxChunkBytes bounds the records sent to one partition in one request.
// Brokers reject a record batch above message.max.bytes (default 1 MiB);
// kafka-go's Writer uses the same bound (BatchBytes).
const maxChunkBytes = 1_000_000

// errUnanswered answers a call the round could not account for; it would be
// a bug, and must not leave a caller waiting forever.
var errUnanswered = errors.New("kafka event log: publish call left unanswered (bug)")

// topicPartition names one partition of one topic.
type topicPartition struct {
	topic     string
	partition int32
}

// partitionQueue holds a round's records for one partition in the order of
// their calls (a call's records are contiguous), and the state of the chunk
// at its head: the records sent in the current step.
type partitionQueue struct {
	tp       topicPartition
	records  []*record // not acknowledged yet
	isolate  int       // the first isolate records go one call per request
	attempts int       // failed attempts of the head chunk
	chunk    int       // records sent in this step
	err      error     // the step's result for the chunk
}

// round is one group commit: the calls taken from the queue, their records
// assigned to partitions. It proceeds in steps: each step sends the head
// chunk of every partition that has records left — one produce request per
// partition leader, all leaders at once — and waits for every answer before
// the next step. A partition thus never has two requests in flight, and a
// failed chunk is retried (after the backoff) before anything behind it is
// sent: retries do not reorder a partition. Usually a round is one step;
// more are needed for retries and for more than BatchSize records or
// maxChunkBytes per partition.
type round struct {
	p      *publisher
	ctx    context.Context
	calls  []*publishCall
	topics []string
	queues []*partitionQueue
}

// commit runs a round and answers every call.
func (p *publisher) commit(calls []*publishCall) {
	r := &round{p: p, ctx: p.roundCtx, calls: calls}
	defer func() {
		for _, c := range calls {
			c.answer(errUnanswered) // a no-op for answered calls
		}
	}()
	for _, c := range calls {
		if !slices.Contains(r.topics, c.topic) {
			r.topics = append(r.topics, c.topic)
		}
	}

	leaders, ok := r.layout()
	if !ok {
		return
	}
	r.assign(leaders)

	for {
		r.send(leaders)
		refresh := r.apply()
		if r.ctx.Err() != nil {
			r.failAll(ErrClosed)
			return
		}
		r.prune()
		if len(r.queues) == 0 {
			return
		}
		if refresh {
			p.refreshMetadata()
		}
		if attempt := r.maxAttempts(); attempt > 0 && !sleep(r.ctx, backoff(attempt, p.log.cfg.RetryBackoff)) {
			r.failAll(ErrClosed)
			return
		}
		var err error
		if leaders, err = p.leaders(r.ctx, r.topics); err != nil {
			leaders = nil // every chunk fails this step with err
			for _, q := range r.queues {
				q.err = err
			}
		}
	}
}

// layout reads the partition leaders of the round's topics, retrying
// failures. It answers the calls and reports false if it gives up.
func (r *round) layout() (map[string][]int32, bool) {
	cfg := r.p.log.cfg
	for attempt := 1; ; attempt++ {
		r.prune()
		if r.allAnswered() {
			return nil, false
		}
		leaders, err := r.p.leaders(r.ctx, r.topics)
		if err == nil {
			return leaders, true
		}
		if r.ctx.Err() != nil {
			r.failAll(ErrClosed)
			return nil, false
		}
		retry, _ := retriable(err)
		if !retry || attempt >= cfg.WriteAttempts {
			r.p.log.logger.Error("Reading the partition leaders failed, giving up", err, watermill.LogFields{"topics": r.topics, "attempts": attempt})
			r.failAll(fmt.Errorf("partition leaders: %w", err))
			return nil, false
		}
		r.p.log.logger.Info("Reading the partition leaders failed, retrying", watermill.LogFields{"topics": r.topics, "attempt": attempt, "error": err.Error()})
		r.p.refreshMetadata()
		if !sleep(r.ctx, backoff(attempt, cfg.RetryBackoff)) {
			r.failAll(ErrClosed)
			return nil, false
		}
	}
}

// assign puts each record in its partition's queue: Murmur2 of its key over
// the topic's partitions, as kafka-go's Writer (and the Java client) does.
func (r *round) assign(leaders map[string][]int32) {
	queues := map[topicPartition]*partitionQueue{}
	partitions := map[string][]int{}
	for _, c := range r.calls {
		if c.answered {
			continue
		}
		ids, ok := partitions[c.topic]
		if !ok {
			ids = make([]int, len(leaders[c.topic]))
			for i := range ids {
				ids[i] = i
			}
			partitions[c.topic] = ids
		}
		for i := range c.records {
			rec := &c.records[i]
			tp := topicPartition{c.topic, int32(r.p.balancer.Balance(rec.msg, ids...))}
			q := queues[tp]
			if q == nil {
				q = &partitionQueue{tp: tp}
				queues[tp] = q
				r.queues = append(r.queues, q)
			}
			q.records = append(q.records, rec)
		}
	}
}

// prune answers the calls whose callers gave up (their context ended) and
// drops the records of answered calls that were not acknowledged: those of
// calls that failed or were given up. They are not sent (again).
func (r *round) prune() {
	for _, c := range r.calls {
		if !c.answered && c.ctx.Err() != nil {
			c.answer(context.Cause(c.ctx))
		}
	}
	r.queues = slices.DeleteFunc(r.queues, func(q *partitionQueue) bool {
		if !slices.ContainsFunc(q.records, func(rec *record) bool { return rec.call.answered }) {
			return len(q.records) == 0
		}
		// A new slice: a request that timed out may still be reading the old one.
		kept := make([]*record, 0, len(q.records))
		isolate := q.isolate
		for i, rec := range q.records {
			if rec.call.answered {
				if i < q.isolate {
					isolate--
				}
				continue
			}
			kept = append(kept, rec)
		}
		q.records, q.isolate = kept, isolate
		return len(kept) == 0
	})
}

func (r *round) allAnswered() bool {
	for _, c := range r.calls {
		if !c.answered {
			return false
		}
	}
	return true
}

func (r *round) failAll(err error) {
	for _, c := range r.calls {
		c.answer(err)
	}
}

func (r *round) maxAttempts() int {
	n := 0
	for _, q := range r.queues {
		n = max(n, q.attempts)
	}
	return n
}

// headChunk returns how many records at the head of q go in this step's
// request: up to BatchSize records and maxChunkBytes (at least one record),
// only one call's while isolating.
func (r *round) headChunk(q *partitionQueue) int {
	limit := min(len(q.records), r.p.log.cfg.BatchSize)
	if q.isolate > 0 {
		limit = min(limit, q.isolate)
	}
	first := q.records[0].call
	n, size := 0, 0
	for n < limit {
		rec := q.records[n]
		if q.isolate > 0 && rec.call != first {
			break
		}
		if n > 0 && size+rec.size > maxChunkBytes {
			break
		}
		size += rec.size
		n++
	}
	return n
}

// send sends the head chunk of every queue, one produce request per
// partition leader, all at once, and waits for every answer. Without
// leaders (reading them failed) each queue's err is already set.
func (r *round) send(leaders map[string][]int32) {
	byLeader := map[int32][]*partitionQueue{}
	var order []int32
	for _, q := range r.queues {
		q.chunk = r.headChunk(q)
		if leaders == nil {
			continue
		}
		q.err = nil
		leader := int32(-1)
		if ls := leaders[q.tp.topic]; int(q.tp.partition) < len(ls) {
			leader = ls[q.tp.partition]
		}
		if leader < 0 {
			q.err = fmt.Errorf("%w (topic %s, partition %d)", errNoLeader, q.tp.topic, q.tp.partition)
			continue
		}
		if _, ok := byLeader[leader]; !ok {
			order = append(order, leader)
		}
		byLeader[leader] = append(byLeader[leader], q)
	}
	var wg sync.WaitGroup
	for i, leader := range order {
		if i == len(order)-1 { // the committer sends the last one itself
			r.p.produce(r.ctx, byLeader[leader])
			break
		}
		wg.Go(func() { r.p.produce(r.ctx, byLeader[leader]) })
	}
	wg.Wait()
}

// apply acknowledges the chunks that were stored and answers the calls
// whose records are all stored. A chunk that failed is retried, up to
// WriteAttempts, if its error is temporary; else, if it holds several
// calls' records, they are sent again one call per request, so that one
// bad message (too large, say) fails only its own call. It reports whether
// the metadata should be refreshed before the next step.
func (r *round) apply() (refresh bool) {
	if r.ctx.Err() != nil {
		return false // Close: every caller has gone; commit answers ErrClosed
	}
	cfg := r.p.log.cfg
	for _, q := range r.queues {
		n, err := q.chunk, q.err
		q.chunk, q.err = 0, nil
		chunk := q.records[:n]
		if err == nil {
			for _, rec := range chunk {
				rec.call.unacked--
				if rec.call.unacked == 0 {
					rec.call.answer(nil)
				}
			}
			q.records, q.isolate, q.attempts = q.records[n:], max(0, q.isolate-n), 0
			continue
		}
		fields := watermill.LogFields{"topic": q.tp.topic, "partition": q.tp.partition, "messages": n}
		retry, refreshFirst := retriable(err)
		refresh = refresh || refreshFirst
		switch {
		case retry && q.attempts+1 < cfg.WriteAttempts:
			q.attempts++
			fields["attempt"], fields["error"] = q.attempts, err.Error()
			r.p.log.logger.Info("Producing failed, retrying", fields)
			continue
		case !retry && q.isolate == 0 && chunk[0].call != chunk[n-1].call:
			q.isolate, q.attempts = n, 0
			fields["error"] = err.Error()
			r.p.log.logger.Info("Producing failed, sending each call's messages alone", fields)
			continue
		case retry:
			err = fmt.Errorf("partition %d: giving up after %d attempts: %w", q.tp.partition, q.attempts+1, err)
		default:
			err = fmt.Errorf("partition %d: %w", q.tp.partition, err)
		}
		r.p.log.logger.Error("Producing failed", err, fields)
		for _, rec := range chunk {
			rec.call.answer(err)
		}
		q.records, q.isolate, q.attempts = q.records[n:], max(0, q.isolate-n), 0
	}
	return refresh
}

// backoff is the wait before retry attempt+1: attempt² × 100ms, at most
// limit (Config.RetryBackoff), as kafka-go's Writer backs off.
func backoff(attempt int, limit time.Duration) time.Duration {
	return min(time.Duration(attempt*attempt)*100*time.Millisecond, limit)
}

// sleep waits d; it reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
