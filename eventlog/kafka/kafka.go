// Package kafka is Loquat's Kafka event log: a Watermill Publisher and
// Subscriber on github.com/segmentio/kafka-go that implement
// eventlog.Backend. Messages keep their order per partition key, consumer
// groups commit only acknowledged offsets, and a subscriber can resume from
// its consumer's own checkpoint (eventlog.SubscriberOptions.ResumeAfter).
// See README.md for the design and the delivery guarantees.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/loquat-dev/loquat/eventlog"
)

// ErrClosed is returned by calls on a closed Log, publisher or subscriber.
var ErrClosed = errors.New("kafka event log: closed")

// Log is the Kafka event log. It implements eventlog.Backend and is safe for
// concurrent use.
type Log struct {
	cfg       Config
	logger    watermill.LoggerAdapter
	addr      net.Addr
	transport *kafkago.Transport // admin requests (the publisher has its own)
	client    *kafkago.Client
	dialer    *kafkago.Dialer // consumer groups and partition readers
	pub       *publisher

	topicsMu sync.Mutex
	topics   map[string]bool // topics known to exist

	mu          sync.Mutex
	closed      bool
	subscribers []*Subscriber
	closeOnce   sync.Once
	closeErr    error
}

var _ eventlog.Backend = (*Log)(nil)

// Open fills in cfg's defaults, validates it and creates the log's standard
// topics if they are missing (eventlog.TopicEvents with cfg.Partitions;
// TopicRegistry, TopicDeadLetters and TopicCursors with one partition each).
// Apart from that it does not touch the network: the producer and consumers
// connect on first use. A nil logger logs nothing.
func Open(cfg Config, logger watermill.LoggerAdapter) (*Log, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	logger = logger.With(watermill.LogFields{"component": "kafka_event_log"})
	l := &Log{
		cfg:       cfg,
		logger:    logger,
		addr:      kafkago.TCP(cfg.Brokers...),
		transport: cfg.transport(),
		dialer:    cfg.dialer(),
		topics:    map[string]bool{},
	}
	l.client = &kafkago.Client{Addr: l.addr, Transport: l.transport, Timeout: cfg.WriteTimeout}
	if !cfg.SkipTopicCreation {
		ctx, cancel := context.WithTimeout(context.Background(), topicTimeout)
		defer cancel()
		if err := l.createTopics(ctx, eventlog.TopicEvents, eventlog.TopicRegistry, eventlog.TopicDeadLetters, eventlog.TopicCursors); err != nil {
			l.transport.CloseIdleConnections()
			return nil, fmt.Errorf("%w (are the brokers %v reachable?)", err, cfg.Brokers)
		}
	}
	l.pub = newPublisher(l)
	return l, nil
}

// Publisher returns the log's publisher. It is safe for concurrent use, and
// concurrent Publish calls share produce requests.
func (l *Log) Publisher() message.Publisher { return l.pub }

// NewSubscriber returns a subscriber in opts.ConsumerGroup (required).
func (l *Log) NewSubscriber(opts eventlog.SubscriberOptions) (message.Subscriber, error) {
	if opts.ConsumerGroup == "" {
		return nil, errors.New("kafka event log: a subscriber needs a ConsumerGroup")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	s := newSubscriber(l, opts)
	l.subscribers = slices.DeleteFunc(l.subscribers, (*Subscriber).isClosed)
	l.subscribers = append(l.subscribers, s)
	return s, nil
}

func (l *Log) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Close closes the subscribers (committing what they had acknowledged) and
// the publisher (waiting for Publish calls under way). It is safe to call
// twice; calls after it return ErrClosed.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		subs := l.subscribers
		l.subscribers = nil
		l.mu.Unlock()

		var errs []error
		for _, s := range subs {
			errs = append(errs, s.Close())
		}
		errs = append(errs, l.pub.Close())
		l.transport.CloseIdleConnections()
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}
