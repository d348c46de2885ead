package kafka

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// partitionConsumer reads one assigned partition for one generation and
// delivers its messages in order, each after the previous one was acked.
//
// It reads with a partition-bound kafka.Reader rather than raw Conn batch
// reads: the Reader finds the partition's leader, reconnects and backs off
// after errors and broker restarts, skips to the log start if retention
// removed the offset it was asked for, and prefetches the next messages
// while one is being handled.
type partitionConsumer struct {
	sub       *subscription
	partition int
	start     int64 // Kafka offset, or kafka.FirstOffset
	acks      *ackTracker
	logger    watermill.LoggerAdapter
}

// run reads until ctx (the generation) ends.
func (pc *partitionConsumer) run(ctx context.Context) {
	cfg := pc.sub.s.log.cfg
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:         cfg.Brokers,
		Dialer:          pc.sub.s.log.dialer,
		Topic:           pc.sub.topic,
		Partition:       pc.partition,
		MinBytes:        cfg.MinBytes,
		MaxBytes:        cfg.MaxBytes,
		MaxWait:         cfg.MaxWait,
		ReadLagInterval: -1,
		ReadBackoffMin:  min(100*time.Millisecond, cfg.RetryBackoff),
		ReadBackoffMax:  cfg.RetryBackoff,
		Logger:          kafkaLogger{pc.logger, false},
		ErrorLogger:     kafkaLogger{pc.logger, true},
	})
	defer r.Close()
	if err := r.SetOffset(pc.start); err != nil {
		pc.logger.Error("Cannot start reading the partition", err, watermill.LogFields{"offset": pc.start})
		return
	}
	for {
		km, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, io.EOF) {
				return
			}
			// The reader keeps retrying in the background, with backoff; it
			// reports an error after several failed attempts.
			pc.logger.Error("Reading the partition failed, retrying", err, nil)
			continue
		}
		if !pc.deliver(ctx, km) {
			return
		}
	}
}

// deliver sends km until it is acked; it reports false if the generation
// or the subscription ended first.
func (pc *partitionConsumer) deliver(ctx context.Context, km kafkago.Message) bool {
	cfg := pc.sub.s.log.cfg
	for {
		if ctx.Err() != nil || pc.sub.ctx.Err() != nil {
			return false
		}
		// A fresh message each time: a Watermill message is acked or
		// nacked once.
		msg := fromKafka(km)
		msgCtx, cancel := context.WithCancel(pc.sub.ctx)
		msg.SetContext(msgCtx)
		select {
		case pc.sub.out <- msg:
		case <-ctx.Done():
			cancel()
			return false
		case <-pc.sub.ctx.Done():
			cancel()
			return false
		}
		acked, nacked := pc.awaitAck(ctx, msg)
		cancel()
		if acked {
			pc.acks.ack(pc.partition, km.Offset+1)
			return ctx.Err() == nil
		}
		if !nacked {
			pc.logger.Info("Message not acked in time while stopping; it will be delivered again",
				watermill.LogFields{"message_uuid": msg.UUID, "offset": km.Offset})
			return false
		}
		select {
		case <-time.After(cfg.NackResendSleep):
		case <-ctx.Done():
			return false
		}
	}
}

// awaitAck waits for msg's ack or nack. If the generation ends first (a
// rebalance, or Close) it still waits up to Config.DrainTimeout, so that a
// message being handled is committed rather than delivered again.
func (pc *partitionConsumer) awaitAck(ctx context.Context, msg *message.Message) (acked, nacked bool) {
	select {
	case <-msg.Acked():
		return true, false
	case <-msg.Nacked():
		return false, true
	case <-ctx.Done():
	}
	drain := time.NewTimer(pc.sub.s.log.cfg.DrainTimeout)
	defer drain.Stop()
	select {
	case <-msg.Acked():
		return true, false
	case <-msg.Nacked():
		return false, true
	case <-drain.C:
		return false, false
	}
}

// ackTracker holds, per partition, the next offset to commit (the acked
// message's offset + 1, as Kafka expects) and the last one committed.
type ackTracker struct {
	mu   sync.Mutex
	next map[int]int64
	done map[int]int64
}

func newAckTracker() *ackTracker {
	return &ackTracker{next: map[int]int64{}, done: map[int]int64{}}
}

func (a *ackTracker) ack(partition int, next int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next[partition] = next
}

// pending returns the offsets acked but not committed yet.
func (a *ackTracker) pending() map[int]int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out map[int]int64
	for p, next := range a.next {
		if next != a.done[p] {
			if out == nil {
				out = map[int]int64{}
			}
			out[p] = next
		}
	}
	return out
}

func (a *ackTracker) committed(offsets map[int]int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, next := range offsets {
		a.done[p] = next
	}
}
