// Package eventlogtest is the conformance suite every event-log backend
// (embedded SQLite, Kafka) must pass, beside Watermill's universal Pub/Sub
// tests: it checks what Loquat relies on and the universal suite does not —
// positions on delivered messages, resuming after a consumer's own
// checkpoint, per-order ordering, durability across a reopen, and dead letters.
package eventlogtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// Features describes the backend under test.
type Features struct {
	// Partitions of TopicEvents (1 for the embedded log).
	Partitions int
}

// Opener opens the backend stored in dir; calling it again with the same dir
// must reopen the same log.
type Opener func(t *testing.T, dir string) eventlog.Backend

// Run runs every conformance test against the backend.
func Run(t *testing.T, f Features, open Opener) {
	t.Run("AppendedEventsArriveInOrderWithPositions", func(t *testing.T) { testAppendRead(t, f, open) })
	t.Run("ResumeAfterOwnCheckpoint", func(t *testing.T) { testResumeAfter(t, f, open) })
	t.Run("GroupResumesAfterReopen", func(t *testing.T) { testReopen(t, f, open) })
	t.Run("DeadLetters", func(t *testing.T) { testDeadLetters(t, f, open) })
	t.Run("ReadRegistry", func(t *testing.T) { testReadRegistry(t, f, open) })
}

// Events returns n paid orders spread over keys, with increasing order ids per key.
func Events(n, keys int, start int) []domain.Event {
	at := time.Date(2020, 4, 30, 20, 0, 0, 0, domain.ChinaTime)
	out := make([]domain.Event, n)
	for i := range out {
		id := start + i
		out[i] = &domain.OrderPaid{
			Platform: "test", OrderID: fmt.Sprintf("k%d-%06d", id%keys, id),
			CreatedAt: at, PaidAt: at.Add(time.Duration(id) * time.Second),
			Lines: []domain.PaidLine{{LineID: "1", SKUID: "sku", Quantity: 1, AmountFen: domain.Fen(100 + id)}},
		}
	}
	return out
}

// Consume reads n messages from sub, acking each, or fails after timeout.
func Consume(t *testing.T, sub message.Subscriber, topic string, n int, timeout time.Duration) []*message.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatalf("subscribe %s: %v", topic, err)
	}
	var got []*message.Message
	for len(got) < n {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatalf("subscription closed after %d of %d messages", len(got), n)
			}
			msg.Ack()
			got = append(got, msg)
		case <-ctx.Done():
			t.Fatalf("got %d of %d messages within %s", len(got), n, timeout)
		}
	}
	return got
}

// ExpectNothing asserts no message arrives on topic within wait.
func ExpectNothing(t *testing.T, sub message.Subscriber, topic string, wait time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case msg, ok := <-ch:
		if ok {
			t.Fatalf("unexpected message %s at %s/%s", msg.UUID, msg.Metadata.Get(eventlog.MetaPartition), msg.Metadata.Get(eventlog.MetaOffset))
		}
	case <-ctx.Done():
	}
}

func newSub(t *testing.T, b eventlog.Backend, opts eventlog.SubscriberOptions) message.Subscriber {
	t.Helper()
	sub, err := b.NewSubscriber(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

func testAppendRead(t *testing.T, f Features, open Opener) {
	b := open(t, t.TempDir())
	defer b.Close()
	w := eventlog.NewWriter(b.Publisher())
	events := Events(300, 7, 0)
	for i := 0; i < len(events); i += 50 {
		if err := w.Append(context.Background(), events[i:i+50]...); err != nil {
			t.Fatal(err)
		}
	}
	msgs := Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "read"}), eventlog.TopicEvents, len(events), 30*time.Second)

	want := map[string]domain.Event{}
	for _, e := range events {
		want[e.ID()] = e
	}
	lastOffset := map[int32]int64{}
	lastOfKey := map[string]string{}
	keyPartition := map[string]int32{}
	for _, msg := range msgs {
		e, err := eventlog.DecodeMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		if e.ID() != msg.UUID || want[e.ID()] == nil {
			t.Fatalf("message %s decodes to unexpected event %s", msg.UUID, e.ID())
		}
		delete(want, e.ID())
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			t.Fatal(err)
		}
		if pos.Offset <= lastOffset[pos.Partition] {
			t.Fatalf("partition %d: offset %d after %d", pos.Partition, pos.Offset, lastOffset[pos.Partition])
		}
		lastOffset[pos.Partition] = pos.Offset
		key := e.PartitionKey()
		if p, ok := keyPartition[key]; ok && p != pos.Partition {
			t.Fatalf("key %s on partitions %d and %d", key, p, pos.Partition)
		}
		keyPartition[key] = pos.Partition
		if id := e.(*domain.OrderPaid).OrderID; id < lastOfKey[key] {
			t.Fatalf("key %s: order %s delivered after %s", key, id, lastOfKey[key])
		} else {
			lastOfKey[key] = id
		}
	}
	if len(want) != 0 {
		t.Fatalf("%d events never delivered", len(want))
	}
	end, err := b.End(context.Background(), eventlog.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	if !eventlog.Positions(lastOffset).Covers(end) || !end.Covers(lastOffset) {
		t.Fatalf("End = %v, last delivered = %v", end, lastOffset)
	}
	if f.Partitions > 0 && len(end) > f.Partitions {
		t.Fatalf("End has %d partitions, want at most %d", len(end), f.Partitions)
	}
}

func testResumeAfter(t *testing.T, f Features, open Opener) {
	b := open(t, t.TempDir())
	defer b.Close()
	w := eventlog.NewWriter(b.Publisher())
	events := Events(100, 5, 0)
	if err := w.Append(context.Background(), events...); err != nil {
		t.Fatal(err)
	}
	all := Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "first"}), eventlog.TopicEvents, len(events), 30*time.Second)
	// Checkpoint after the first 40 delivered messages of each partition.
	checkpoint := eventlog.Positions{}
	seen := map[int32]int{}
	var after []string
	for _, msg := range all {
		pos, _ := eventlog.PositionOf(msg)
		seen[pos.Partition]++
		if seen[pos.Partition] <= 40/max(1, f.Partitions) {
			checkpoint[pos.Partition] = pos.Offset
		} else {
			after = append(after, msg.UUID)
		}
	}
	// The group "first" has acked everything; resuming after its own
	// checkpoint must still redeliver what follows the checkpoint.
	got := Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "first", ResumeAfter: checkpoint}),
		eventlog.TopicEvents, len(after), 30*time.Second)
	gotIDs := map[string]bool{}
	for _, msg := range got {
		pos, _ := eventlog.PositionOf(msg)
		if pos.Offset <= checkpoint[pos.Partition] {
			t.Fatalf("resumed subscriber redelivered %d/%d at or before checkpoint %v", pos.Partition, pos.Offset, checkpoint)
		}
		gotIDs[msg.UUID] = true
	}
	for _, id := range after {
		if !gotIDs[id] {
			t.Fatalf("message %s after the checkpoint was not redelivered", id)
		}
	}
	// Empty positions mean "from the start".
	Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "first", ResumeAfter: eventlog.Positions{}}),
		eventlog.TopicEvents, len(events), 30*time.Second)
}

// testReopen checks that a consumer group resumes after its last committed
// ack across a close and reopen of the log, and that a message delivered but
// never acked comes again. Delivery is at-least-once: acks still in flight
// when a subscription is cancelled may be redelivered, so the test waits for
// a later message (which a backend delivers only after committing the
// earlier batch) before it cancels.
func testReopen(t *testing.T, f Features, open Opener) {
	dir := t.TempDir()
	b := open(t, dir)
	w := eventlog.NewWriter(b.Publisher())
	first := Events(20, 3, 0)
	if err := w.Append(context.Background(), first...); err != nil {
		t.Fatal(err)
	}
	sub, err := b.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "g"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	ch, err := sub.Subscribe(ctx, eventlog.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(first); i++ {
		select {
		case msg := <-ch:
			msg.Ack()
		case <-ctx.Done():
			t.Fatalf("got %d of %d messages", i, len(first))
		}
	}
	marker := Events(1, 1, 500)[0]
	if err := w.Append(context.Background(), marker); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-ch:
		if msg.UUID != marker.ID() {
			t.Fatalf("got %s, want the marker %s", msg.UUID, marker.ID())
		}
		// Neither acked nor nacked: it must come again after the reopen.
	case <-ctx.Done():
		t.Fatal("marker never delivered")
	}
	cancel()
	sub.Close()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	b = open(t, dir)
	defer b.Close()
	more := Events(10, 3, 1000)
	if err := eventlog.NewWriter(b.Publisher()).Append(context.Background(), more...); err != nil {
		t.Fatal(err)
	}
	got := Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "g"}), eventlog.TopicEvents, 11, 30*time.Second)
	want := map[string]bool{marker.ID(): true}
	for _, e := range more {
		want[e.ID()] = true
	}
	for _, msg := range got {
		if !want[msg.UUID] {
			t.Fatalf("after reopen the group got %s, which it had acked before", msg.UUID)
		}
		delete(want, msg.UUID)
	}
	if len(want) != 0 {
		t.Fatalf("after reopen %d expected messages did not come (the unacked marker among them?)", len(want))
	}
	end, err := b.End(context.Background(), eventlog.TopicEvents)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, off := range end {
		total += off
	}
	if f.Partitions == 1 && total != 31 {
		t.Fatalf("after reopen the log ends at %v, want 31 messages", end)
	}
}

func testDeadLetters(t *testing.T, f Features, open Opener) {
	b := open(t, t.TempDir())
	defer b.Close()
	w := eventlog.NewWriter(b.Publisher())
	dl := domain.NewDeadLetter("test", "line 3: amount \"x\" is not a number", []byte("a,b,x\n"), time.Now())
	if err := w.DeadLetter(context.Background(), dl); err != nil {
		t.Fatal(err)
	}
	msgs := Consume(t, newSub(t, b, eventlog.SubscriberOptions{ConsumerGroup: "dl"}), eventlog.TopicDeadLetters, 1, 30*time.Second)
	got, err := eventlog.DecodeDeadLetter(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != dl.ID || got.Reason != dl.Reason || string(got.Raw) != string(dl.Raw) || got.Source != "test" {
		t.Fatalf("dead letter came back as %+v, want %+v", got, dl)
	}
}
