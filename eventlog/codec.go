package eventlog

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	json "github.com/goccy/go-json"

	"github.com/loquat-dev/loquat/domain"
)

// Event payloads are the JSON of domain.MarshalEvent, written and read here
// with github.com/goccy/go-json: the same JSON, a third of the CPU of
// encoding/json on the hot path of every ingest and projection. The domain
// keeps the standard library's codec; TestCodecMatchesDomain holds the two
// to the same bytes and values.

// NewMessage encodes an event as a Watermill message whose UUID is the
// event's deterministic ID.
func NewMessage(e domain.Event) (*message.Message, error) {
	payload, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", e.Type(), err)
	}
	msg := message.NewMessage(e.ID(), payload)
	msg.Metadata.Set(MetaEventType, string(e.Type()))
	msg.Metadata.Set(MetaEventVersion, strconv.Itoa(domain.CurrentVersion))
	msg.Metadata.Set(MetaPartitionKey, e.PartitionKey())
	return msg, nil
}

// EventTypeOf reads a message's event type without decoding its payload.
func EventTypeOf(msg *message.Message) domain.EventType {
	return domain.EventType(msg.Metadata.Get(MetaEventType))
}

// DecodeMessage decodes the event a message carries.
func DecodeMessage(msg *message.Message) (domain.Event, error) {
	v, err := strconv.Atoi(msg.Metadata.Get(MetaEventVersion))
	if err != nil {
		return nil, fmt.Errorf("message %s: bad event version %q", msg.UUID, msg.Metadata.Get(MetaEventVersion))
	}
	t := EventTypeOf(msg)
	e, err := domain.NewEvent(t, v)
	if err != nil {
		return nil, err
	}
	// Unknown fields are rejected, as by domain.UnmarshalEvent, so a payload
	// of another schema is never half-read.
	dec := json.NewDecoder(bytes.NewReader(msg.Payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(e); err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", t, v, err)
	}
	return e, nil
}

// NewDeadLetterMessage encodes a dead letter for TopicDeadLetters.
func NewDeadLetterMessage(dl domain.DeadLetter) (*message.Message, error) {
	payload, err := json.Marshal(dl)
	if err != nil {
		return nil, fmt.Errorf("marshal dead letter: %w", err)
	}
	msg := message.NewMessage(dl.ID, payload)
	msg.Metadata.Set(MetaPartitionKey, "dead_letter/"+dl.Source)
	return msg, nil
}

// DecodeDeadLetter decodes a message of TopicDeadLetters.
func DecodeDeadLetter(msg *message.Message) (domain.DeadLetter, error) {
	var dl domain.DeadLetter
	if err := json.Unmarshal(msg.Payload, &dl); err != nil {
		return dl, fmt.Errorf("decode dead letter %s: %w", msg.UUID, err)
	}
	if dl.ID == "" {
		return dl, errors.New("dead letter without id")
	}
	return dl, nil
}
