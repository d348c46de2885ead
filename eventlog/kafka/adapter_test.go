package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/kafka"
)

// TestRestartedSubscriberResumesAfterLastAck acks a different number of
// messages in each of 4 partitions, leaves the next one delivered but not
// acked, closes the subscriber and reads on in the same group from a new
// Log: exactly the messages after the last ack of each partition come, in
// order, the unacked one first.
func TestRestartedSubscriberResumesAfterLastAck(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	cfg.Partitions = 4
	cfg.DrainTimeout = 200 * time.Millisecond
	l := openLog(t, cfg)
	publish(t, l.Publisher(), keyed(200, 37, 0))
	e := end(t, l)
	if len(e) != 4 {
		t.Fatalf("End = %v, want 4 partitions", e)
	}
	ackUpTo := map[int32]int64{}
	toHold := 0
	for p, n := range e {
		ackUpTo[p] = n / int64(p+2)
		if ackUpTo[p] < n {
			toHold++
		}
	}

	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	ch := subscribe(t, sub)
	acked := map[int32]int64{}
	held := map[int32]int64{}
	timeout := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case msg := <-ch:
			pos, err := eventlog.PositionOf(msg)
			if err != nil {
				t.Fatal(err)
			}
			if h, ok := held[pos.Partition]; ok {
				t.Fatalf("partition %d: offset %d delivered while %d was not acked", pos.Partition, pos.Offset, h)
			}
			if want := acked[pos.Partition] + 1; pos.Offset != want {
				t.Fatalf("partition %d: got offset %d, want %d", pos.Partition, pos.Offset, want)
			}
			if pos.Offset <= ackUpTo[pos.Partition] {
				msg.Ack()
				acked[pos.Partition] = pos.Offset
			} else {
				held[pos.Partition] = pos.Offset // neither acked nor nacked
			}
		case <-timeout:
			t.Fatalf("acked %v and held %v, want acked %v", acked, held, ackUpTo)
		}
		done = len(held) == toHold
		for p, k := range ackUpTo {
			done = done && acked[p] == k
		}
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}

	l2 := openLog(t, cfg)
	r := newReceived()
	var rest int64
	for p, n := range e {
		rest += n - ackUpTo[p]
	}
	ch2 := subscribe(t, newSub(t, l2, eventlog.SubscriberOptions{ConsumerGroup: "g"}))
	consume(t, ch2, r, int(rest), 30*time.Second)
	expectNothing(t, ch2, 300*time.Millisecond)
	for p, n := range e {
		if want := offsetsFrom(ackUpTo[p]+1, n); !slices.Equal(r.pos[p], want) {
			t.Errorf("partition %d after the restart: got offsets %v, want %v (acked up to %d of %d)", p, r.pos[p], want, ackUpTo[p], n)
		}
	}
}

// TestRebalanceDeliversAckedMessagesOnce runs two members of one group (two
// Logs, as two processes) over 4 partitions: the second joins mid-stream,
// then the first leaves. Every message arrives, and none that was acked
// arrives again.
func TestRebalanceDeliversAckedMessagesOnce(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	cfg.Partitions = 4
	l1, l2 := openLog(t, cfg), openLog(t, cfg)
	msgs := keyed(500, 61, 0)

	var mu sync.Mutex
	ackedBy := map[string]string{}
	perSub := map[string]int{}
	var errs []string
	read := func(name string, ch <-chan *message.Message) {
		for msg := range ch {
			mu.Lock()
			if prev, ok := ackedBy[msg.UUID]; ok {
				p, _ := eventlog.PositionOf(msg)
				errs = append(errs, fmt.Sprintf("%s got %s (%d/%d), which %s had acked", name, msg.UUID, p.Partition, p.Offset, prev))
			}
			if msg.Ack() {
				ackedBy[msg.UUID] = name
				perSub[name]++
			}
			mu.Unlock()
		}
	}
	count := func(name string) (total, of int) {
		mu.Lock()
		defer mu.Unlock()
		return len(ackedBy), perSub[name]
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				total, _ := count("")
				t.Fatalf("waiting for %s: %d of %d messages acked", what, total, len(msgs))
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	publish(t, l1.Publisher(), msgs[:200])
	sub1 := newSub(t, l1, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); read("first", subscribe(t, sub1)) }()
	waitFor("the first member's first 60", func() bool { n, _ := count("first"); return n >= 60 })

	sub2 := newSub(t, l2, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	go func() { defer readers.Done(); read("second", subscribe(t, sub2)) }()
	published := make(chan struct{})
	go func() { // the stream goes on through both rebalances
		defer close(published)
		for i := 200; i < len(msgs); i += 5 {
			if err := l2.Publisher().Publish(topic, msgs[i:i+5]...); err != nil {
				t.Errorf("publish: %v", err)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	waitFor("the second member to share the work", func() bool { _, second := count("second"); return second > 0 })
	select {
	case <-published:
		t.Error("the stream ended before the first member left: the test did not rebalance mid-stream")
	default:
	}
	if err := sub1.Close(); err != nil {
		t.Fatal(err)
	}
	<-published
	waitFor("every message", func() bool { n, _ := count(""); return n == len(msgs) })
	time.Sleep(300 * time.Millisecond) // a late duplicate would show now
	sub2.Close()
	readers.Wait()

	mu.Lock()
	defer mu.Unlock()
	for _, e := range errs {
		t.Error(e)
	}
	if perSub["first"] == 0 || perSub["second"] == 0 {
		t.Errorf("acks per member %v: want both members to have consumed", perSub)
	}
	t.Logf("acks per member: %v", perSub)
}

// TestPerKeyOrderAcrossPartitions publishes 10 events for each of 400 keys
// from 8 concurrent publishers (each key from one of them, in order) over
// 8 partitions and reads them with two group members whose handlers ack
// concurrently: each key stays on one partition and arrives in order.
func TestPerKeyOrderAcrossPartitions(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	l1, l2 := openLog(t, cfg), openLog(t, cfg)
	const keys, perKey, publishers = 400, 10, 8

	r := newReceived()
	var readers sync.WaitGroup
	for _, l := range []*kafka.Log{l1, l2} {
		ch := subscribe(t, newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"}))
		readers.Add(1)
		go func() {
			defer readers.Done()
			for msg := range ch {
				r.add(t, msg)
				go func() { // a handler finishing a little later, as a router's would
					time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
					msg.Ack()
				}()
			}
		}()
	}

	var pubs sync.WaitGroup
	for g := range publishers {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for seq := range perKey {
				for k := g; k < keys; k += publishers {
					key := fmt.Sprintf("order-%d", k)
					msg := message.NewMessage(fmt.Sprintf("%s-%d", key, seq), fmt.Appendf(nil, "%s:%d", key, seq))
					msg.Metadata.Set(eventlog.MetaPartitionKey, key)
					if err := l1.Publisher().Publish(topic, msg); err != nil {
						t.Errorf("publish: %v", err)
						return
					}
				}
			}
		}()
	}
	pubs.Wait()
	deadline := time.Now().Add(60 * time.Second)
	for r.unique() < keys*perKey && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := r.unique(); n != keys*perKey {
		t.Fatalf("got %d of %d messages", n, keys*perKey)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[string]int{}
	partitionOf := map[string]int32{}
	for _, msg := range r.order {
		key, seq := keyOf(msg)
		p, _ := eventlog.PositionOf(msg)
		if q, ok := partitionOf[key]; ok && q != p.Partition {
			t.Fatalf("key %s on partitions %d and %d", key, q, p.Partition)
		}
		partitionOf[key] = p.Partition
		if seq < next[key] {
			continue // a redelivery; first deliveries must be in order
		}
		if seq != next[key] {
			t.Fatalf("key %s: got event %d, want %d", key, seq, next[key])
		}
		next[key]++
	}
	used := map[int32]bool{}
	for _, p := range partitionOf {
		used[p] = true
	}
	if len(used) != 8 {
		t.Errorf("keys used %d partitions, want 8", len(used))
	}
}

// TestResumeAfterOverridesCommittedOffsets: a group that has acked
// everything still reads from the consumer's own checkpoint, partitions
// missing from it from their start; the checkpoint is applied once per
// subscriber and moves the group.
func TestResumeAfterOverridesCommittedOffsets(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	cfg.Partitions = 4
	l := openLog(t, cfg)
	publish(t, l.Publisher(), keyed(120, 23, 0))
	e := end(t, l)

	first := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	consume(t, subscribe(t, first), newReceived(), 120, 30*time.Second)
	first.Close()

	resume := eventlog.Positions{0: e[0] / 2, 1: e[1] - 1} // 2 and 3: from the start
	want := map[int32][]int64{
		0: offsetsFrom(e[0]/2+1, e[0]),
		1: offsetsFrom(e[1], e[1]),
		2: offsetsFrom(1, e[2]),
		3: offsetsFrom(1, e[3]),
	}
	var total int
	for _, w := range want {
		total += len(w)
	}
	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g", ResumeAfter: resume})
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	consume(t, ch, r, total, 30*time.Second)
	for p, w := range want {
		if !slices.Equal(r.pos[p], w) {
			t.Errorf("partition %d resumed after %d: got offsets %v, want %v", p, resume[p], r.pos[p], w)
		}
	}
	cancel()
	for range ch { // closed once the acks are committed
	}

	// The same subscriber again: ResumeAfter was applied, the group is at its end.
	again, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	expectNothing(t, again, 500*time.Millisecond)
	sub.Close()
	expectNothing(t, subscribe(t, newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})), 300*time.Millisecond)
}

// TestTransientGroupCommitsNothing: a transient subscriber (the rebuild's,
// the cursor store's) reads from ResumeAfter and, subscribing again,
// continues after what it acked — but leaves no offsets in the group, so a
// later reader of the same group name starts from the beginning.
func TestTransientGroupCommitsNothing(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	cfg.Partitions = 2
	l := openLog(t, cfg)
	publish(t, l.Publisher(), keyed(40, 7, 0))
	e := end(t, l)

	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "once", ResumeAfter: eventlog.Positions{0: e[0] / 2}, Transient: true})
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	r := newReceived()
	consume(t, ch, r, int(e[0]-e[0]/2+e[1]), 30*time.Second)
	if want := offsetsFrom(e[0]/2+1, e[0]); !slices.Equal(r.pos[0], want) {
		t.Errorf("partition 0 resumed after %d: got offsets %v, want %v", e[0]/2, r.pos[0], want)
	}
	cancel()
	for range ch { // closed once the acks are held
	}
	again, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	expectNothing(t, again, 500*time.Millisecond) // it continues after what it acked
	sub.Close()

	later := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "once"})
	consume(t, subscribe(t, later), newReceived(), 40, 30*time.Second) // nothing was committed
}

// TestBrokerRestartLosesNothingAcked restarts the 3-broker cluster twice
// while a publisher and a subscriber run: every message arrives, each
// partition without gaps, and after a reopen the group has nothing left.
func TestBrokerRestartLosesNothingAcked(t *testing.T) {
	b := newBroker(t, 3, true)
	cfg := testConfig(b)
	cfg.Partitions = 4
	l := openLog(t, cfg)
	msgs := keyed(600, 97, 0)

	r := newReceived()
	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	ch := subscribe(t, sub)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for msg := range ch {
			r.add(t, msg)
			msg.Ack()
		}
	}()

	for i := 0; i < len(msgs); i += 10 {
		if i == 200 || i == 400 {
			if err := b.restart(); err != nil {
				t.Fatalf("restart: %v", err)
			}
		}
		batch := msgs[i : i+10]
		for attempt := 0; ; attempt++ {
			err := l.Publisher().Publish(topic, batch...)
			if err == nil {
				break
			}
			if attempt == 20 {
				t.Fatalf("publish after restart: %v", err)
			}
			time.Sleep(200 * time.Millisecond) // a client retries; Kafka may store a batch twice
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for r.unique() < len(msgs) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	<-readDone
	if n := r.unique(); n != len(msgs) {
		t.Fatalf("got %d of %d messages across broker restarts", n, len(msgs))
	}
	e := end(t, l)
	for p, n := range e {
		first := []int64{}
		seen := map[int64]bool{}
		for _, o := range r.pos[p] {
			if !seen[o] {
				seen[o] = true
				first = append(first, o)
			}
		}
		if want := offsetsFrom(1, n); !slices.Equal(first, want) {
			t.Errorf("partition %d: first deliveries at %v, want %v", p, first, want)
		}
	}
	expectNothing(t, subscribe(t, newSub(t, openLog(t, cfg), eventlog.SubscriberOptions{ConsumerGroup: "g"})), time.Second)
}

// TestCloseTwiceAndCallsAfterClose covers Close on the log, publisher and
// subscriber: safe twice, channels closed, every later call ErrClosed.
func TestCloseTwiceAndCallsAfterClose(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b))
	pub := l.Publisher()
	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	ch := subscribe(t, sub)
	publish(t, pub, keyed(1, 1, 0))
	select {
	case msg := <-ch:
		msg.Ack()
	case <-time.After(10 * time.Second):
		t.Fatal("no message before Close")
	}

	other := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "other"})
	if err := other.Close(); err != nil {
		t.Fatalf("subscriber Close: %v", err)
	}
	if err := other.Close(); err != nil {
		t.Fatalf("second subscriber Close: %v", err)
	}
	if _, err := other.Subscribe(context.Background(), topic); !errors.Is(err, kafka.ErrClosed) {
		t.Errorf("Subscribe after the subscriber's Close: got %v, want ErrClosed", err)
	}

	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := pub.Close(); err != nil {
		t.Fatalf("publisher Close after the log's: %v", err)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("message after Close")
		}
	case <-time.After(time.Second):
		t.Error("subscription channel not closed by Close")
	}
	for name, err := range map[string]error{
		"Publish":        pub.Publish(topic, keyed(1, 1, 1)...),
		"NewSubscriber":  func() error { _, err := l.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "g"}); return err }(),
		"Subscribe":      func() error { _, err := sub.Subscribe(context.Background(), topic); return err }(),
		"End":            func() error { _, err := l.End(context.Background(), topic); return err }(),
		"SubscribeInit.": sub.(message.SubscribeInitializer).SubscribeInitialize(topic),
	} {
		if !errors.Is(err, kafka.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", name, err)
		}
	}
}

// TestSubscribeContextEndsSubscription: cancelling the Subscribe context
// closes the channel, and what was acked stays acked.
func TestSubscribeContextEndsSubscription(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b))
	publish(t, l.Publisher(), keyed(10, 1, 0))
	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "g"})
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	consume(t, ch, newReceived(), 4, 10*time.Second)
	cancel()
	closed := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-ch:
		case <-closed:
			t.Fatal("channel still open after the Subscribe context ended")
		}
	}
	r := newReceived()
	consume(t, subscribe(t, sub), r, 6, 10*time.Second)
	for p, got := range r.pos { // one key: one partition
		if want := offsetsFrom(5, 10); !slices.Equal(got, want) {
			t.Errorf("partition %d after the cancelled subscription: got offsets %v, want %v", p, got, want)
		}
	}
}

// TestEndOfTopics checks End on the standard topics after Open (created,
// registry with one partition) and after appends.
func TestEndOfTopics(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b))
	for _, tc := range []struct {
		topic      string
		partitions int
	}{
		{eventlog.TopicEvents, 8},
		{eventlog.TopicRegistry, 1},
		{eventlog.TopicDeadLetters, 1},
		{eventlog.TopicCursors, 1},
		{"created.by.end", 8},
	} {
		e, err := l.End(context.Background(), tc.topic)
		if err != nil {
			t.Fatalf("End(%s): %v", tc.topic, err)
		}
		if len(e) != tc.partitions {
			t.Errorf("End(%s) = %v, want %d empty partitions", tc.topic, e, tc.partitions)
		}
		for p, off := range e {
			if off != 0 {
				t.Errorf("End(%s)[%d] = %d, want 0", tc.topic, p, off)
			}
		}
	}
	publish(t, l.Publisher(), keyed(25, 5, 0))
	var total int64
	for _, off := range end(t, l) {
		total += off
	}
	if total != 25 {
		t.Errorf("after 25 messages End sums to %d", total)
	}
}

// TestSkipTopicCreation: with SkipTopicCreation a missing topic is an error,
// not created.
func TestSkipTopicCreation(t *testing.T) {
	b := newBroker(t, 1, false)
	cfg := testConfig(b)
	cfg.SkipTopicCreation = true
	l := openLog(t, cfg)
	err := l.Publisher().Publish("missing.topic", message.NewMessage("1", nil))
	if err == nil {
		t.Fatal("Publish to a missing topic with SkipTopicCreation succeeded")
	}
	t.Logf("Publish to a missing topic: %v", err)
}

// TestCloseStopsGoroutines: after Close, the log's goroutines (consumer
// group, partition readers, producer, connections) are gone.
func TestCloseStopsGoroutines(t *testing.T) {
	b := newBroker(t, 1, false)
	l, err := kafka.Open(testConfig(b), testLogger())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	before := runtime.NumGoroutine()
	publish(t, l.Publisher(), keyed(50, 7, 0))
	for _, group := range []string{"a", "b"} {
		sub, err := l.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: group})
		if err != nil {
			t.Fatal(err)
		}
		consume(t, subscribe(t, sub), newReceived(), 50, 10*time.Second)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}
