package kafka

import (
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// publisher writes through one kafka-go Writer, which is safe for concurrent
// use: messages of concurrent Publish calls bound for one partition go out
// in one produce request (see Config.BatchTimeout).
type publisher struct {
	log    *Log
	writer *kafkago.Writer

	mu        sync.Mutex // guards closed against Publish racing Close
	closed    bool
	inflight  sync.WaitGroup // Publish calls under way
	closeOnce sync.Once
	closeErr  error
}

func newPublisher(l *Log) *publisher {
	cfg := l.cfg
	return &publisher{log: l, writer: &kafkago.Writer{
		Addr:      l.addr,
		Transport: l.transport,
		// Murmur2, not kafka-go's FNV-1a Hash: it is the Java client's
		// partitioner, so any other producer keyed the same way (Kafka
		// Connect, Streams, a JVM service) puts an order on the same
		// partition as Loquat does.
		Balancer:        &kafkago.Murmur2Balancer{},
		BatchSize:       cfg.BatchSize,
		BatchTimeout:    cfg.BatchTimeout,
		RequiredAcks:    cfg.RequiredAcks,
		Compression:     cfg.Compression,
		WriteTimeout:    cfg.WriteTimeout,
		MaxAttempts:     cfg.WriteAttempts,
		WriteBackoffMax: cfg.RetryBackoff,
		// The log creates topics itself before the first write. With this
		// set, the Writer asks the broker about a topic missing from its
		// metadata cache instead of failing.
		AllowAutoTopicCreation: !cfg.SkipTopicCreation,
		Logger:                 kafkaLogger{l.logger, false},
		ErrorLogger:            kafkaLogger{l.logger, true},
	}}
}

// Publish writes msgs to topic and returns once the brokers acknowledged
// every one of them (Config.RequiredAcks). The first message's context
// bounds the wait. A Publish spanning partitions is not atomic: on an error
// some messages may be stored, and a retry stores them again (Loquat's
// consumers deduplicate by event id).
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
	records := make([]kafkago.Message, len(msgs))
	for i, msg := range msgs {
		records[i] = toKafka(topic, msg)
	}
	if err := p.writer.WriteMessages(ctx, records...); err != nil {
		return fmt.Errorf("kafka event log: publish %d messages to %s: %w", len(msgs), topic, err)
	}
	p.log.logger.Trace("Published", watermill.LogFields{"topic": topic, "messages": len(msgs)})
	return nil
}

// Close waits for the Publish calls under way, then flushes and closes the
// writer. It is safe to call twice; Publish after it returns ErrClosed.
func (p *publisher) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.inflight.Wait()
		p.closeErr = p.writer.Close()
	})
	return p.closeErr
}
