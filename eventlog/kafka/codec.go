package kafka

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/loquat-dev/loquat/eventlog"
)

// UUIDHeader is the Kafka header that carries a message's Watermill UUID
// (the name Watermill's own Kafka adapter uses). Every metadata entry
// travels in a header of its own, named by its key.
const UUIDHeader = "_watermill_message_uuid"

// toKafka encodes msg for topic. Its key is the message's partition key
// (eventlog.MetaPartitionKey), or its UUID when it has none, so the
// balancer keeps one order's events on one partition.
func toKafka(topic string, msg *message.Message) kafkago.Message {
	key := msg.Metadata.Get(eventlog.MetaPartitionKey)
	if key == "" {
		key = msg.UUID
	}
	headers := make([]kafkago.Header, 0, len(msg.Metadata)+1)
	headers = append(headers, kafkago.Header{Key: UUIDHeader, Value: []byte(msg.UUID)})
	for k, v := range msg.Metadata {
		if k == UUIDHeader {
			continue
		}
		headers = append(headers, kafkago.Header{Key: k, Value: []byte(v)})
	}
	return kafkago.Message{Topic: topic, Key: []byte(key), Value: msg.Payload, Headers: headers}
}

// fromKafka decodes a fetched record into a new Watermill message with its
// log position. A record written by something other than this package has
// no UUID header; it gets a UUID made of its place in the log.
func fromKafka(km kafkago.Message) *message.Message {
	uuid := ""
	md := make(message.Metadata, len(km.Headers)+2)
	for _, h := range km.Headers {
		if h.Key == UUIDHeader {
			uuid = string(h.Value)
			continue
		}
		md[h.Key] = string(h.Value)
	}
	if uuid == "" {
		uuid = fmt.Sprintf("kafka:%s:%d:%d", km.Topic, km.Partition, km.Offset)
	}
	msg := message.NewMessage(uuid, km.Value)
	msg.Metadata = md
	eventlog.SetPosition(msg, eventlog.Position{Partition: int32(km.Partition), Offset: km.Offset + 1})
	return msg
}
