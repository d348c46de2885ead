package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	kafkago "github.com/segmentio/kafka-go"
	metadataapi "github.com/segmentio/kafka-go/protocol/metadata"

	"github.com/loquat-dev/loquat/eventlog"
)

// topicTimeout bounds creating a topic and waiting for it to show in the
// metadata.
const topicTimeout = 30 * time.Second

// partitionsFor is the partition count a topic is created with: one for the
// registry (totally ordered), the dead letters (few, read in order) and the
// cursors (read to their end in order), Config.Partitions for the others.
func (l *Log) partitionsFor(topic string) int {
	switch topic {
	case eventlog.TopicRegistry, eventlog.TopicDeadLetters, eventlog.TopicCursors:
		return 1
	}
	return l.cfg.Partitions
}

// topicConfigs are the settings a topic is created with. The cursors topic
// is compacted: only each cursor's last value (its key is the cursor's
// name) matters, and CursorStore reads the whole topic when it loads.
func topicConfigs(topic string) []kafkago.ConfigEntry {
	if topic == eventlog.TopicCursors {
		return []kafkago.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}}
	}
	return nil
}

// ensureTopic creates topic if it is missing (unless SkipTopicCreation) and
// makes sure the shared transport's metadata cache knows it. It is called
// before a topic's first Publish, Subscribe and End, and remembers the
// topics it has seen.
func (l *Log) ensureTopic(ctx context.Context, topic string) error {
	if topic == "" {
		return errors.New("kafka event log: empty topic name")
	}
	l.topicsMu.Lock()
	known := l.topics[topic]
	l.topicsMu.Unlock()
	if known {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, topicTimeout)
	defer cancel()
	if !l.cfg.SkipTopicCreation {
		if err := l.createTopics(ctx, topic); err != nil {
			return err
		}
	}
	// kafka-go serves metadata from a cache it refreshes every few seconds,
	// so a topic another process created since is missing from it. A
	// metadata request that allows auto-creation is the one kafka-go sends
	// to the broker when the cache lacks the topic, and it then refreshes
	// the cache. The topic exists at this point unless SkipTopicCreation
	// is set, in which case the broker's own auto-creation policy applies.
	resp, err := l.transport.RoundTrip(ctx, l.addr, &metadataapi.Request{
		TopicNames:             []string{topic},
		AllowAutoTopicCreation: true,
	})
	if err != nil {
		return fmt.Errorf("kafka event log: metadata of topic %s: %w", topic, err)
	}
	for _, t := range resp.(*metadataapi.Response).Topics {
		if t.Name == topic && t.ErrorCode != 0 {
			return fmt.Errorf("kafka event log: topic %s: %w", topic, kafkago.Error(t.ErrorCode))
		}
	}
	l.topicsMu.Lock()
	l.topics[topic] = true
	l.topicsMu.Unlock()
	return nil
}

// createTopics creates the topics that do not exist yet.
func (l *Log) createTopics(ctx context.Context, topics ...string) error {
	req := &kafkago.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafkago.TopicConfig{
			Topic:             t,
			NumPartitions:     l.partitionsFor(t),
			ReplicationFactor: l.cfg.ReplicationFactor,
			ConfigEntries:     topicConfigs(t),
		})
	}
	resp, err := l.client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("kafka event log: create topics %v: %w", topics, err)
	}
	var errs []error
	for topic, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("kafka event log: create topic %s: %w", topic, err))
		}
	}
	return errors.Join(errs...)
}

// End returns, per partition of topic, the Loquat offset of its last
// message: Kafka's high watermark, since Loquat offsets are Kafka offsets
// plus one. Empty partitions are 0.
//
// Failures are retried (Config.WriteAttempts, with backoff) on fresh
// connections and metadata: after a broker restart the pooled connections
// fail once each, and the cached metadata may name former leaders.
func (l *Log) End(ctx context.Context, topic string) (eventlog.Positions, error) {
	if l.isClosed() {
		return nil, ErrClosed
	}
	if err := l.ensureTopic(ctx, topic); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		end, err := l.end(ctx, topic)
		if err == nil || attempt >= l.cfg.WriteAttempts || ctx.Err() != nil {
			return end, err
		}
		// A partition whose request failed is reported as Unknown.
		if retry, _ := retriable(err); !retry && !errors.Is(err, kafkago.Unknown) {
			return nil, err
		}
		l.logger.Info("Reading the end offsets failed, retrying", watermill.LogFields{"topic": topic, "attempt": attempt, "error": err.Error()})
		l.transport.CloseIdleConnections()
		if !sleep(ctx, backoff(attempt, l.cfg.RetryBackoff)) {
			return nil, ctx.Err()
		}
	}
}

func (l *Log) end(ctx context.Context, topic string) (eventlog.Positions, error) {
	meta, err := l.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafka event log: partitions of %s: %w", topic, err)
	}
	var reqs []kafkago.OffsetRequest
	for _, t := range meta.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("kafka event log: partitions of %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			reqs = append(reqs, kafkago.LastOffsetOf(p.ID))
		}
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("kafka event log: topic %s has no partitions", topic)
	}
	resp, err := l.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("kafka event log: end offsets of %s: %w", topic, err)
	}
	end := eventlog.Positions{}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("kafka event log: end offset of %s/%d: %w", topic, p.Partition, p.Error)
		}
		end[int32(p.Partition)] = p.LastOffset
	}
	return end, nil
}
