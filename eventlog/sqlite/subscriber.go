package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// retryInterval is the wait after a failed query before the next.
const retryInterval = 100 * time.Millisecond

var topicPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// validateTopic keeps topic names safe as file and table names.
func validateTopic(topic string) error {
	if !topicPattern.MatchString(topic) || topic == "." || topic == ".." {
		return fmt.Errorf("topic %q: use letters, digits, '.', '_' and '-' only", topic)
	}
	return nil
}

// subscriber gives each subscribed topic a watermill-sql subscriber on that
// topic's file: watermill-sql binds a subscriber to one database handle.
type subscriber struct {
	log         *Log
	group       string
	resumeAfter *int64
	transient   bool // offsets in memory: see eventlog.SubscriberOptions

	mu      sync.Mutex
	closed  bool
	subs    []*wsql.Subscriber
	cancels []context.CancelFunc // the subscriptions' contexts
	dbs     []*sql.DB            // the groups' offsets files, closed after the subscriptions
}

var _ message.Subscriber = (*subscriber)(nil)

// Subscribe starts reading topic in the subscriber's consumer group.
func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("sqlite event log: subscriber is closed")
	}
	if _, err := s.log.topic(ctx, topic); err != nil {
		return nil, err
	}
	db, err := s.log.openGroupDB(ctx, topic, s.group, s.transient)
	if err != nil {
		return nil, err
	}
	// Close cancels the subscription's context, so that a query waiting for
	// the group's lock (held by another subscriber of the group whose
	// consumer has stopped reading) gives up at once instead of after
	// BusyTimeout, and a delivery waiting for its ack ends.
	ctx, cancel := context.WithCancel(ctx)
	s.cancels = append(s.cancels, cancel)
	wait := &idleWait{
		Beginner: wsql.BeginnerFromStdSQL(db),
		signals:  &s.log.signals,
		topic:    topic,
		poll:     s.log.cfg.PollInterval,
		retry:    retryInterval,
		done:     ctx.Done(),
	}
	ackDeadline := s.log.cfg.AckDeadline
	sub, err := wsql.NewSubscriber(wait, wsql.SubscriberConfig{
		ConsumerGroup:    s.group,
		AckDeadline:      &ackDeadline,
		PollInterval:     s.log.cfg.PollInterval,
		ResendInterval:   s.log.cfg.ResendInterval,
		RetryInterval:    retryInterval,
		BackoffManager:   wait,
		SchemaAdapter:    s.log.schema,
		OffsetsAdapter:   offsetsAdapter{resumeAfter: s.resumeAfter},
		InitializeSchema: false, // the tables exist: Log.topic created them
	}, s.log.logger)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("subscribe to %s: %w", topic, err)
	}
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		sub.Close()
		db.Close()
		return nil, err
	}
	s.subs = append(s.subs, sub)
	s.dbs = append(s.dbs, db)
	return ch, nil
}

// SubscribeInitialize creates the topic's tables (message.SubscribeInitializer).
func (s *subscriber) SubscribeInitialize(topic string) error {
	_, err := s.log.topic(context.Background(), topic)
	return err
}

// Close stops every subscription and waits for them. Safe to call twice.
func (s *subscriber) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for _, cancel := range s.cancels {
		cancel()
	}
	var errs []error
	for _, sub := range s.subs {
		errs = append(errs, sub.Close())
	}
	for _, db := range s.dbs {
		errs = append(errs, db.Close())
	}
	return errors.Join(errs...)
}
