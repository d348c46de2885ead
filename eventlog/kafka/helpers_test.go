package kafka_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/kafka"
)

const topic = "loquat.test"

// keyed returns n messages over keys, with the sequence number per key as
// payload ("key:seq") and the key as partition key.
func keyed(n, keys, start int) []*message.Message {
	msgs := make([]*message.Message, n)
	for i := range msgs {
		id := start + i
		key := fmt.Sprintf("order-%d", id%keys)
		msg := message.NewMessage(fmt.Sprintf("m-%06d", id), fmt.Appendf(nil, "%s:%d", key, id/keys))
		msg.Metadata.Set(eventlog.MetaPartitionKey, key)
		msgs[i] = msg
	}
	return msgs
}

func publish(t testing.TB, pub message.Publisher, msgs []*message.Message) {
	t.Helper()
	for i := 0; i < len(msgs); i += 50 {
		if err := pub.Publish(topic, msgs[i:min(i+50, len(msgs))]...); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
}

func newSub(t testing.TB, l *kafka.Log, opts eventlog.SubscriberOptions) message.Subscriber {
	t.Helper()
	sub, err := l.NewSubscriber(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func subscribe(t testing.TB, sub message.Subscriber) <-chan *message.Message {
	t.Helper()
	ch, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return ch
}

// received is what a test consumer saw: message ids and positions in
// arrival order, per partition.
type received struct {
	mu    sync.Mutex
	pos   map[int32][]int64
	ids   map[string]int // times received
	order []*message.Message
}

func newReceived() *received {
	return &received{pos: map[int32][]int64{}, ids: map[string]int{}}
}

func (r *received) add(t testing.TB, msg *message.Message) {
	t.Helper()
	p, err := eventlog.PositionOf(msg)
	if err != nil {
		t.Error(err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pos[p.Partition] = append(r.pos[p.Partition], p.Offset)
	r.ids[msg.UUID]++
	r.order = append(r.order, msg)
}

func (r *received) unique() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ids)
}

// consume acks every message from ch into r until r holds n distinct
// messages; it fails the test after timeout.
func consume(t testing.TB, ch <-chan *message.Message, r *received, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for r.unique() < n {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %d of %d messages", r.unique(), n)
			}
			r.add(t, msg)
			msg.Ack()
		case <-deadline:
			t.Fatalf("got %d of %d messages within %s", r.unique(), n, timeout)
		}
	}
}

// expectNothing fails if a message arrives on ch within wait.
func expectNothing(t testing.TB, ch <-chan *message.Message, wait time.Duration) {
	t.Helper()
	select {
	case msg, ok := <-ch:
		if ok {
			p, _ := eventlog.PositionOf(msg)
			t.Fatalf("unexpected message %s at %d/%d", msg.UUID, p.Partition, p.Offset)
		}
	case <-time.After(wait):
	}
}

// offsetsFrom returns from, from+1, …, to.
func offsetsFrom(from, to int64) []int64 {
	var out []int64
	for o := from; o <= to; o++ {
		out = append(out, o)
	}
	return out
}

func end(t testing.TB, l *kafka.Log) eventlog.Positions {
	t.Helper()
	e, err := l.End(context.Background(), topic)
	if err != nil {
		t.Fatalf("End: %v", err)
	}
	return e
}

func keyOf(msg *message.Message) (string, int) {
	s := string(msg.Payload)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			seq, _ := strconv.Atoi(s[i+1:])
			return s[:i], seq
		}
	}
	return s, -1
}
