package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
)

// Writer appends events and dead letters to the log through a Watermill
// publisher. It implements ingest.Sink and is safe for concurrent use if the
// publisher is (every Loquat backend's is).
type Writer struct {
	pub message.Publisher
	// OnAppend, if set, is called after events were durably appended (metrics).
	OnAppend func(events []domain.Event)
	// OnDeadLetter, if set, is called after a dead letter was stored (metrics).
	OnDeadLetter func(dl domain.DeadLetter)
	// Now stamps each message's MetaRecordedAt. Default time.Now.
	Now func() time.Time
}

// stamp sets the message's MetaRecordedAt.
func (w *Writer) stamp(msg *message.Message) {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	msg.Metadata.Set(MetaRecordedAt, now().UTC().Format(time.RFC3339Nano))
}

// RecordedAt is when msg was appended (MetaRecordedAt); ok is false for a
// message appended before Loquat stamped them (December 2026) or with a
// malformed stamp.
func RecordedAt(msg *message.Message) (at time.Time, ok bool) {
	at, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(MetaRecordedAt))
	return at, err == nil
}

// NewWriter returns a Writer publishing to pub.
func NewWriter(pub message.Publisher) *Writer { return &Writer{pub: pub} }

// Append validates and publishes events: registry events to TopicRegistry,
// the others to TopicEvents, each topic's in one Publish call. When it
// returns nil, they are durably in the log.
func (w *Writer) Append(ctx context.Context, events ...domain.Event) error {
	if len(events) == 0 {
		return nil
	}
	msgs := make([]*message.Message, 0, len(events))
	var registry []*message.Message
	var invalid []error
	for _, e := range events {
		if err := e.Validate(); err != nil {
			invalid = append(invalid, fmt.Errorf("%s %s: %w", e.Type(), e.ID(), err))
			continue
		}
		msg, err := NewMessage(e)
		if err != nil {
			return err
		}
		msg.SetContext(ctx)
		w.stamp(msg)
		if e.Type().IsRegistry() {
			registry = append(registry, msg)
		} else {
			msgs = append(msgs, msg)
		}
	}
	if len(invalid) > 0 {
		return fmt.Errorf("refusing to append invalid events: %w", errors.Join(invalid...))
	}
	// The registry first: an order appended with it must find it in place.
	if len(registry) > 0 {
		if err := w.pub.Publish(TopicRegistry, registry...); err != nil {
			return fmt.Errorf("append %d registry events to the event log: %w", len(registry), err)
		}
	}
	if len(msgs) > 0 {
		if err := w.pub.Publish(TopicEvents, msgs...); err != nil {
			return fmt.Errorf("append %d events to the event log: %w", len(msgs), err)
		}
	}
	if w.OnAppend != nil {
		w.OnAppend(events)
	}
	return nil
}

// DeadLetter publishes a dead letter to TopicDeadLetters.
func (w *Writer) DeadLetter(ctx context.Context, dl domain.DeadLetter) error {
	msg, err := NewDeadLetterMessage(dl)
	if err != nil {
		return err
	}
	msg.SetContext(ctx)
	w.stamp(msg)
	if err := w.pub.Publish(TopicDeadLetters, msg); err != nil {
		return fmt.Errorf("store dead letter from %s: %w", dl.Source, err)
	}
	if w.OnDeadLetter != nil {
		w.OnDeadLetter(dl)
	}
	return nil
}
