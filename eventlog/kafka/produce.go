package kafka

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	metadataapi "github.com/segmentio/kafka-go/protocol/metadata"
	produceapi "github.com/segmentio/kafka-go/protocol/produce"
)

var (
	errNoLeader = errors.New("partition has no leader")
	errNoResult = errors.New("the broker's answer lacks the partition")
)

// leaders returns, per topic, the leader of each partition (the index; -1:
// none), from the transport's metadata cache. A topic missing there — one
// ensureTopic has just created, or found through the log's own transport —
// is asked of the brokers, with the request kafka-go's Writer sends then:
// the transport refreshes its cache and waits for the topic to appear.
func (p *publisher) leaders(ctx context.Context, topics []string) (map[string][]int32, error) {
	ctx, cancel := context.WithTimeout(ctx, p.log.cfg.WriteTimeout)
	defer cancel()
	out := make(map[string][]int32, len(topics))
	missing, err := p.readLeaders(ctx, &metadataapi.Request{TopicNames: topics}, out)
	if err != nil || len(missing) == 0 {
		return out, err
	}
	missing, err = p.readLeaders(ctx, &metadataapi.Request{TopicNames: missing, AllowAutoTopicCreation: true}, out)
	if err == nil && len(missing) > 0 {
		err = fmt.Errorf("topics %v: %w", missing, kafkago.UnknownTopicOrPartition)
	}
	return out, err
}

func (p *publisher) readLeaders(ctx context.Context, req *metadataapi.Request, out map[string][]int32) (missing []string, err error) {
	resp, err := p.transport.RoundTrip(ctx, p.log.addr, req)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	for _, t := range resp.(*metadataapi.Response).Topics {
		switch {
		case t.ErrorCode == int16(kafkago.UnknownTopicOrPartition):
			missing = append(missing, t.Name)
			continue
		case t.ErrorCode != 0:
			return nil, fmt.Errorf("topic %s: %w", t.Name, kafkago.Error(t.ErrorCode))
		case len(t.Partitions) == 0:
			return nil, fmt.Errorf("topic %s has no partitions: %w", t.Name, kafkago.UnknownTopicOrPartition)
		}
		leaders := make([]int32, len(t.Partitions))
		for i := range leaders {
			leaders[i] = -1
		}
		for _, part := range t.Partitions {
			if int(part.PartitionIndex) < len(leaders) {
				leaders[part.PartitionIndex] = part.LeaderID
			}
		}
		out[t.Name] = leaders
	}
	return missing, nil
}

// refreshMetadata makes the next request read the cluster's metadata anew.
// kafka-go's Transport serves metadata from a cache it renews only every
// few seconds (MetadataTTL) and routes produce requests by it; dropping its
// connection pool drops the cache, and the next request starts a new pool,
// which reads the metadata first. Only the committer uses this transport,
// between steps: no request of the publisher is in flight.
func (p *publisher) refreshMetadata() {
	p.transport.CloseIdleConnections()
}

// produce sends the head chunks of queues, all led by one broker, in one
// produce request, and sets each queue's err: nil if the brokers stored the
// chunk (with Config.RequiredAcks), else why not. The transport routes the
// request by its metadata cache, which is where leaders came from; if the
// cache changed in between, the request fails and is retried.
func (p *publisher) produce(ctx context.Context, queues []*partitionQueue) {
	cfg := p.log.cfg
	req := &produceapi.Request{
		Acks: int16(cfg.RequiredAcks),
		// How long the leader waits for the replicas; half of the client's
		// own timeout, as kafka-go's Client sets it.
		Timeout: int32(cfg.WriteTimeout.Milliseconds() / 2),
	}
	topicIndex := map[string]int{}
	for _, q := range queues {
		i, ok := topicIndex[q.tp.topic]
		if !ok {
			i = len(req.Topics)
			topicIndex[q.tp.topic] = i
			req.Topics = append(req.Topics, produceapi.RequestTopic{Topic: q.tp.topic})
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, produceapi.RequestPartition{
			Partition: q.tp.partition,
			RecordSet: protocol.RecordSet{
				Attributes: protocol.Attributes(cfg.Compression) & 7,
				// The round never changes a queue's slice in place (it
				// reslices or makes a new one), so a request that timed out
				// and is still being written reads what it was given.
				Records: &chunkRecords{records: q.records[:q.chunk]},
			},
		})
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.WriteTimeout)
	defer cancel()
	resp, err := p.transport.RoundTrip(ctx, p.log.addr, req)
	if err != nil {
		for _, q := range queues {
			q.err = err
		}
		return
	}
	res, ok := resp.(*produceapi.Response)
	if !ok { // only with RequiredAcks none, which Config refuses
		for _, q := range queues {
			q.err = fmt.Errorf("produce: no answer (%T)", resp)
		}
		return
	}
	results := map[topicPartition]error{}
	for _, t := range res.Topics {
		for _, part := range t.Partitions {
			var err error
			if part.ErrorCode != 0 {
				err = kafkago.Error(part.ErrorCode)
				if part.ErrorMessage != "" {
					err = fmt.Errorf("%w: %s", err, part.ErrorMessage)
				}
			}
			results[topicPartition{t.Topic, part.Partition}] = err
		}
	}
	for _, q := range queues {
		err, ok := results[q.tp]
		if !ok {
			err = errNoResult
		}
		q.err = err
	}
}

// retriable reports whether a produce that failed with err may succeed if
// sent again, and whether the metadata should be refreshed first (the
// partition's leader may have moved). Errors of the request itself — a
// broken or refused connection, a timeout, no leader known, leaders that
// moved while it was routed — are retried after a refresh: the brokers
// restart, leaders move. An error the broker gave for a partition is
// retried if Kafka calls it retriable.
func retriable(err error) (retry, refresh bool) {
	if errors.Is(err, context.Canceled) {
		return false, false
	}
	var kerr kafkago.Error
	if errors.As(err, &kerr) {
		switch kerr {
		case kafkago.NotLeaderForPartition, kafkago.UnknownTopicOrPartition, kafkago.LeaderNotAvailable,
			kafkago.BrokerNotAvailable, kafkago.NetworkException, kafkago.KafkaStorageError,
			kafkago.FencedLeaderEpoch, kafkago.UnknownLeaderEpoch:
			return true, true
		}
		return kerr.Temporary(), false
	}
	return true, true
}

// recordSize is about the size of m in a record batch (v2): its key, value
// and headers with their varint lengths and the record's own fields.
func recordSize(m kafkago.Message) int {
	n := 21 + len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += 10 + len(h.Key) + len(h.Value)
	}
	return n
}

// chunkRecords is the protocol.RecordReader of a chunk. A request reads it
// once, so each attempt gets a new one.
type chunkRecords struct {
	records []*record
	next    int
	rec     protocol.Record
	key     bytesReader
	value   bytesReader
}

func (c *chunkRecords) ReadRecord() (*protocol.Record, error) {
	if c.next == len(c.records) {
		return nil, io.EOF
	}
	m := &c.records[c.next].msg
	c.next++
	c.rec = protocol.Record{Headers: m.Headers}
	if m.Key != nil {
		c.key.Reset(m.Key)
		c.rec.Key = &c.key
	}
	if m.Value != nil {
		c.value.Reset(m.Value)
		c.rec.Value = &c.value
	}
	return &c.rec, nil
}

// bytesReader is a reusable protocol.Bytes, as kafka-go's Writer uses: the
// encoder reads one record's key and value before it asks for the next.
type bytesReader struct{ bytes.Reader }

func (*bytesReader) Close() error { return nil }
