package kafka

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/loquat-dev/loquat/eventlog"
)

// Subscriber reads topics as a member of one consumer group. Each Subscribe
// call joins the group for one topic; the partitions the group assigns to
// it are read concurrently, each in order. It is safe for concurrent use.
type Subscriber struct {
	log  *Log
	opts eventlog.SubscriberOptions

	mu      sync.Mutex
	closed  bool
	subs    []*subscription
	resumed map[string]map[int]bool // topic → partitions moved to ResumeAfter
	// held is a transient subscriber's offsets (topic → partition → next
	// offset), kept here instead of committed to the group: see
	// SubscriberOptions.Transient.
	held      map[string]map[int]int64
	closeOnce sync.Once
}

var (
	_ message.Subscriber           = (*Subscriber)(nil)
	_ message.SubscribeInitializer = (*Subscriber)(nil)
)

func newSubscriber(l *Log, opts eventlog.SubscriberOptions) *Subscriber {
	if opts.ResumeAfter != nil { // a copy: the caller's checkpoint moves on
		opts.ResumeAfter = opts.ResumeAfter.Clone()
	}
	return &Subscriber{log: l, opts: opts, resumed: map[string]map[int]bool{}, held: map[string]map[int]int64{}}
}

// Subscribe joins the consumer group for topic (creating the topic if it is
// missing) and returns the channel its messages arrive on. A message of a
// partition is delivered only after the one before it was acked; a nacked
// message comes again after Config.NackResendSleep. The channel is closed
// when ctx ends or the subscriber is closed.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	if err := s.log.ensureTopic(ctx, topic); err != nil {
		return nil, err
	}
	cfg := s.log.cfg
	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                    s.opts.ConsumerGroup,
		Brokers:               cfg.Brokers,
		Dialer:                s.log.dialer,
		Topics:                []string{topic},
		HeartbeatInterval:     cfg.HeartbeatInterval,
		SessionTimeout:        cfg.SessionTimeout,
		RebalanceTimeout:      cfg.RebalanceTimeout,
		JoinGroupBackoff:      cfg.RetryBackoff,
		WatchPartitionChanges: true,
		StartOffset:           kafkago.FirstOffset,
		Logger:                kafkaLogger{s.log.logger, false},
		ErrorLogger:           kafkaLogger{s.log.logger, true},
	})
	if err != nil {
		return nil, err
	}
	subCtx, cancel := context.WithCancel(ctx)
	sub := &subscription{
		s:      s,
		topic:  topic,
		group:  group,
		out:    make(chan *message.Message),
		ctx:    subCtx,
		cancel: cancel,
		done:   make(chan struct{}),
		logger: s.log.logger.With(watermill.LogFields{"topic": topic, "consumer_group": s.opts.ConsumerGroup}),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		cancel()
		group.Close()
		return nil, ErrClosed
	}
	s.subs = slices.DeleteFunc(s.subs, (*subscription).finished)
	s.subs = append(s.subs, sub)
	go sub.run()
	return sub.out, nil
}

// SubscribeInitialize creates topic if it is missing
// (message.SubscribeInitializer).
func (s *Subscriber) SubscribeInitialize(topic string) error {
	if s.isClosed() {
		return ErrClosed
	}
	return s.log.ensureTopic(context.Background(), topic)
}

// Close ends every subscription: it stops fetching, waits for the partition
// readers, commits what was acked (waiting up to Config.DrainTimeout for
// the ack of a message being handled), leaves the group and closes the
// channels. It is safe to call twice; Subscribe after it returns ErrClosed.
func (s *Subscriber) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		subs := s.subs
		s.subs = nil
		s.mu.Unlock()
		for _, sub := range subs {
			sub.cancel()
		}
		for _, sub := range subs {
			<-sub.done
		}
	})
	return nil
}

func (s *Subscriber) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// resumePosition returns where partition starts on its first assignment to
// this subscriber when SubscriberOptions.ResumeAfter is set: Loquat offset
// k is the Kafka offset of the message after it. Later assignments start
// at the group's committed offset.
func (s *Subscriber) resumePosition(topic string, partition int) (int64, bool) {
	if s.opts.ResumeAfter == nil {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resumed[topic][partition] {
		return 0, false
	}
	return s.opts.ResumeAfter[int32(partition)], true
}

// heldPosition returns where a transient subscriber's partition continues
// after a rebalance: the next offset after what it acked.
func (s *Subscriber) heldPosition(topic string, partition int) (int64, bool) {
	if !s.opts.Transient {
		return 0, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next, ok := s.held[topic][partition]
	return next, ok
}

// hold keeps a transient subscriber's offsets in memory.
func (s *Subscriber) hold(topic string, offsets map[int]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held[topic] == nil {
		s.held[topic] = map[int]int64{}
	}
	for p, next := range offsets {
		s.held[topic][p] = next
	}
}

// markResumed records that the group's offsets of partitions were moved to
// ResumeAfter.
func (s *Subscriber) markResumed(topic string, partitions map[int]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.resumed[topic] == nil {
		s.resumed[topic] = map[int]bool{}
	}
	for p := range partitions {
		s.resumed[topic][p] = true
	}
}

// subscription is one Subscribe call: a consumer group member for one topic.
type subscription struct {
	s      *Subscriber
	topic  string
	group  *kafkago.ConsumerGroup
	out    chan *message.Message
	ctx    context.Context // ends with the Subscribe context or Close
	cancel context.CancelFunc
	logger watermill.LoggerAdapter

	generations sync.WaitGroup // generation runners still going
	done        chan struct{}  // closed after out
}

func (sub *subscription) finished() bool {
	select {
	case <-sub.done:
		return true
	default:
		return false
	}
}

// run takes the group's generations one after another until the
// subscription ends, then leaves the group and closes the channel.
func (sub *subscription) run() {
	defer close(sub.done)
	defer close(sub.out)
	for {
		gen, err := sub.group.Next(sub.ctx)
		if err != nil {
			if sub.ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				break
			}
			// kafka-go has already backed off (Config.RetryBackoff) when a
			// join fails; a rebalance under way is throttled by the broker.
			if errors.Is(err, kafkago.RebalanceInProgress) {
				sub.logger.Debug("Rebalance under way, joining again", nil)
				continue
			}
			sub.logger.Error("Joining the consumer group failed, retrying", err, nil)
			continue
		}
		sub.generations.Add(1)
		gen.Start(func(ctx context.Context) {
			defer sub.generations.Done()
			sub.consume(ctx, gen)
		})
	}
	// Closing the group ends the current generation, waits for its runner
	// (which commits the acked offsets) and leaves the group.
	if err := sub.group.Close(); err != nil {
		sub.logger.Error("Leaving the consumer group failed", err, nil)
	}
	// A generation that had ended before Start is not waited for by
	// kafka-go; it must not send on a closed channel.
	sub.generations.Wait()
}

// consume runs one generation: a reader per assigned partition, and the
// periodic commit of acked offsets. When the generation ends (rebalance,
// lost coordinator, Close) it stops the readers and commits what was acked
// before kafka-go rejoins the group.
func (sub *subscription) consume(ctx context.Context, gen *kafkago.Generation) {
	if ctx.Err() != nil {
		return
	}
	assigned := gen.Assignments[sub.topic]
	logger := sub.logger.With(watermill.LogFields{"generation": gen.ID, "member_id": gen.MemberID})
	ids := make([]int, len(assigned))
	for i, a := range assigned {
		ids[i] = a.ID
	}
	logger.Debug("Partitions assigned", watermill.LogFields{"partitions": ids})

	starts := make(map[int]int64, len(assigned))
	resume := map[int]int64{}
	for _, a := range assigned {
		starts[a.ID] = a.Offset // committed, or kafka.FirstOffset for a new group
		if pos, ok := sub.s.heldPosition(sub.topic, a.ID); ok {
			starts[a.ID] = pos
			continue
		}
		if pos, ok := sub.s.resumePosition(sub.topic, a.ID); ok {
			starts[a.ID] = pos
			resume[a.ID] = pos
		}
	}
	if len(resume) > 0 && sub.s.opts.Transient {
		sub.s.hold(sub.topic, resume)
		sub.s.markResumed(sub.topic, resume)
	} else if len(resume) > 0 {
		// Move the group to the consumer's checkpoint before reading, so a
		// partition handed to another member continues from there too.
		if err := gen.CommitOffsets(map[string]map[int]int64{sub.topic: resume}); err != nil {
			// Not marked: the next assignment applies ResumeAfter again.
			logger.Error("Committing the ResumeAfter positions failed", err, watermill.LogFields{"positions": resume})
		} else {
			sub.s.markResumed(sub.topic, resume)
		}
	}

	acks := newAckTracker()
	var readers sync.WaitGroup
	for partition, start := range starts {
		pc := &partitionConsumer{sub: sub, partition: partition, start: start, acks: acks,
			logger: logger.With(watermill.LogFields{"partition": partition})}
		readers.Add(1)
		go func() {
			defer readers.Done()
			pc.run(ctx)
		}()
	}

	ticker := time.NewTicker(sub.s.log.cfg.CommitInterval)
	defer ticker.Stop()
	for running := true; running; {
		select {
		case <-ticker.C:
			sub.commit(gen, acks, logger)
		case <-ctx.Done():
			running = false
		}
	}
	readers.Wait()
	sub.commit(gen, acks, logger)
	logger.Debug("Partitions released", watermill.LogFields{"partitions": ids})
}

// commit commits the offsets acked since the last commit. A failure is
// logged and the offsets stay pending: the next commit tries again, and if
// the generation ended they are delivered again to whoever reads the
// partition next (at-least-once).
func (sub *subscription) commit(gen *kafkago.Generation, acks *ackTracker, logger watermill.LoggerAdapter) {
	pending := acks.pending()
	if len(pending) == 0 {
		return
	}
	if sub.s.opts.Transient {
		sub.s.hold(sub.topic, pending)
		acks.committed(pending)
		return
	}
	if err := gen.CommitOffsets(map[string]map[int]int64{sub.topic: pending}); err != nil {
		logger.Error("Committing acked offsets failed", err, watermill.LogFields{"offsets": pending})
		return
	}
	acks.committed(pending)
	logger.Trace("Committed acked offsets", watermill.LogFields{"offsets": pending})
}
