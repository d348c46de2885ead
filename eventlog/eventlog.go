// Package eventlog carries Loquat's events over Watermill. It defines the
// message format (an event's JSON payload with its type, version and partition
// key in the metadata), the topics, log positions, and the Backend interface
// that each implementation (embedded SQLite, Kafka) provides in its own package.
package eventlog

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Topics of the log.
const (
	// TopicEvents carries the events of orders and income.
	TopicEvents = "loquat.events"
	// TopicRegistry carries registry events (villages, households,
	// enterprises, listings). It is a topic of its own, with one partition, so
	// a projector can read it to its end before it attributes any order,
	// whatever the partitioning of TopicEvents.
	TopicRegistry = "loquat.registry"
	// TopicDeadLetters carries inputs that could not be decoded or validated.
	TopicDeadLetters = "loquat.dead_letters"
)

// Metadata keys set on every message.
const (
	MetaEventType    = "loquat_event_type"
	MetaEventVersion = "loquat_event_version"
	// MetaPartitionKey is the key a partitioned backend hashes to keep an
	// order's events on one partition, in order.
	MetaPartitionKey = "loquat_partition_key"
	// MetaPartition and MetaOffset are set by subscribers on delivery: where
	// the message sits in the log. Projectors store them with their writes.
	MetaPartition = "loquat_log_partition"
	MetaOffset    = "loquat_log_offset"
	// MetaRecordedAt is when the Writer appended the message (RFC 3339,
	// UTC, to the nanosecond): the log's own time, not the business time
	// the event carries. As-of answers leave out what was recorded later.
	MetaRecordedAt = "loquat_recorded_at"
)

// Positions maps a partition to the offset of the last message a consumer has
// durably applied. Offsets count from 1 (a backend whose native offsets count
// from 0, like Kafka, adds one), so a partition missing from the map, or 0,
// has had nothing applied, and the offset of a partition's last message is
// the number of messages it holds.
type Positions map[int32]int64

// Clone returns a copy of p.
func (p Positions) Clone() Positions {
	out := make(Positions, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// Covers reports whether p has reached every position in end.
func (p Positions) Covers(end Positions) bool {
	for part, off := range end {
		if p[part] < off {
			return false
		}
	}
	return true
}

// Position is where one message sits in the log.
type Position struct {
	Partition int32
	Offset    int64
}

// PositionOf reads the position a subscriber put on a delivered message.
func PositionOf(msg *message.Message) (Position, error) {
	part, err := strconv.ParseInt(msg.Metadata.Get(MetaPartition), 10, 32)
	if err != nil {
		return Position{}, fmt.Errorf("message %s has no log partition: %w", msg.UUID, err)
	}
	off, err := strconv.ParseInt(msg.Metadata.Get(MetaOffset), 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("message %s has no log offset: %w", msg.UUID, err)
	}
	return Position{Partition: int32(part), Offset: off}, nil
}

// SetPosition records a message's position; subscribers call it on delivery.
func SetPosition(msg *message.Message, p Position) {
	msg.Metadata.Set(MetaPartition, strconv.FormatInt(int64(p.Partition), 10))
	msg.Metadata.Set(MetaOffset, strconv.FormatInt(p.Offset, 10))
}

// SubscriberOptions selects what a new subscriber reads.
type SubscriberOptions struct {
	// ConsumerGroup shares the work and the committed offsets of one consumer.
	ConsumerGroup string
	// ResumeAfter, when not nil, moves the group to just after these
	// positions before reading: the consumer's own durable checkpoint wins
	// over the offsets the log has stored for the group. An empty map
	// means "from the start".
	ResumeAfter Positions
	// Transient marks a group whose offsets need not outlive the
	// subscriber: a one-off reader with a group of its own that starts from
	// ResumeAfter (the rebuild, the cursor store). The embedded log keeps
	// its offsets in memory instead of leaving a file per run.
	Transient bool
}

// Backend is one implementation of the event log. Publisher and subscribers
// are plain Watermill ones, so any Watermill tooling works with them.
type Backend interface {
	Publisher() message.Publisher
	NewSubscriber(opts SubscriberOptions) (message.Subscriber, error)
	// End returns the offset of the last message now in each partition of
	// topic (partitions without messages may be left out or be 0).
	End(ctx context.Context, topic string) (Positions, error)
	// Close closes the publisher and the subscribers; it is safe to call twice.
	Close() error
}
