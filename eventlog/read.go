package eventlog

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
)

// RegistryReaderGroup is the consumer group ReadRegistry reads with. It
// always starts from the topic's start, so its stored offsets never matter;
// one fixed name keeps the log from collecting a group per run.
const RegistryReaderGroup = "loquat-registry-reader"

// ReadRegistry replays TopicRegistry from its start to its end as it stands
// now and returns the registry it describes: what a projector would have
// applied. Commands that check input against the registry before appending
// (an income record's household, a registry file that adds to what is
// loaded) read it here, from the log, which is the source of truth, rather
// than from a read model that may lag behind.
func ReadRegistry(ctx context.Context, log Backend) (*domain.Registry, error) {
	reg := domain.NewRegistry()
	end, err := log.End(ctx, TopicRegistry)
	if err != nil {
		return nil, fmt.Errorf("read the registry: %w", err)
	}
	err = ReadUntil(ctx, log, RegistryReaderGroup, TopicRegistry, end, func(msg *message.Message, _ Position) error {
		e, err := DecodeMessage(msg)
		if err != nil {
			return nil // the projector skips what it cannot decode too
		}
		reg.Apply(e)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read the registry: %w", err)
	}
	return reg, nil
}

// ReadUntil reads topic from its start until every partition reaches end,
// calling fn for each message (and acking it). Messages past end (appended
// while it reads) are acked and skipped. The group is transient: its
// offsets need not outlive the read.
func ReadUntil(ctx context.Context, log Backend, group, topic string, end Positions, fn func(*message.Message, Position) error) error {
	var total int64
	for _, off := range end {
		total += off
	}
	if total == 0 {
		return nil
	}
	sub, err := log.NewSubscriber(SubscriberOptions{ConsumerGroup: group, ResumeAfter: Positions{}, Transient: true})
	if err != nil {
		return err
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return err
	}
	reached := Positions{}
	for !reached.Covers(end) {
		select {
		case msg, ok := <-ch:
			if !ok {
				return fmt.Errorf("%s subscription closed at %v of %v", topic, reached, end)
			}
			pos, err := PositionOf(msg)
			if err != nil {
				return err
			}
			if pos.Offset > end[pos.Partition] {
				msg.Ack()
				continue
			}
			if err := fn(msg, pos); err != nil {
				msg.Nack()
				return err
			}
			msg.Ack()
			reached[pos.Partition] = pos.Offset
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
