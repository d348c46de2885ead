package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/kafka"
)

// keyedMessage is event seq of key, with the key as partition key and
// "key:seq" as payload.
func keyedMessage(key string, seq int) *message.Message {
	msg := message.NewMessage(fmt.Sprintf("%s-%d", key, seq), fmt.Appendf(nil, "%s:%d", key, seq))
	msg.Metadata.Set(eventlog.MetaPartitionKey, key)
	return msg
}

// keyPublisher publishes the events of its own keys, in order per key, in
// calls of 1 to maxBatch messages (several events of one key may share a
// call). If retry, a failed call is published again until it succeeds, and
// its messages are recorded in retried.
type keyPublisher struct {
	keys     []string
	next     map[string]int
	maxBatch int
}

func (kp *keyPublisher) run(t *testing.T, pub message.Publisher, events int, retry bool, retried *sync.Map) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(kp.keys)), uint64(events)))
	for published := 0; published < events; {
		n := min(1+rng.IntN(kp.maxBatch), events-published)
		batch := make([]*message.Message, n)
		for i := range batch {
			key := kp.keys[rng.IntN(len(kp.keys))]
			batch[i] = keyedMessage(key, kp.next[key])
			kp.next[key]++
		}
		for attempt := 1; ; attempt++ {
			err := pub.Publish(topic, batch...)
			if err == nil {
				break
			}
			if !retry || attempt == 50 {
				t.Errorf("publish (attempt %d): %v", attempt, err)
				return
			}
			for _, msg := range batch {
				retried.Store(msg.UUID, true)
			}
			time.Sleep(50 * time.Millisecond)
		}
		published += n
	}
}

// publishers returns n publishers sharing keys keys between them.
func publishers(n, keys, maxBatch int) []*keyPublisher {
	kps := make([]*keyPublisher, n)
	for i := range kps {
		kps[i] = &keyPublisher{next: map[string]int{}, maxBatch: maxBatch}
	}
	for k := range keys {
		kps[k%n].keys = append(kps[k%n].keys, fmt.Sprintf("order-%d", k))
	}
	return kps
}

// readLog reads every record of topic (total, the sum of End) in a new
// consumer group, and returns them per partition in offset order.
func readLog(t *testing.T, l *kafka.Log, total int64) map[int32][]*message.Message {
	t.Helper()
	sub := newSub(t, l, eventlog.SubscriberOptions{ConsumerGroup: "reader-" + watermill.NewShortUUID()})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[eventlog.Position]*message.Message{}
	deadline := time.After(60 * time.Second)
	for int64(len(seen)) < total {
		select {
		case msg := <-ch:
			p, err := eventlog.PositionOf(msg)
			if err != nil {
				t.Fatal(err)
			}
			seen[p] = msg
			msg.Ack()
		case <-deadline:
			t.Fatalf("read %d of %d records", len(seen), total)
		}
	}
	log := map[int32][]*message.Message{}
	positions := make([]eventlog.Position, 0, len(seen))
	for p := range seen {
		positions = append(positions, p)
	}
	slices.SortFunc(positions, func(a, b eventlog.Position) int {
		if a.Partition != b.Partition {
			return int(a.Partition - b.Partition)
		}
		return int(a.Offset - b.Offset)
	})
	for _, p := range positions {
		log[p.Partition] = append(log[p.Partition], seen[p])
	}
	return log
}

func total(e eventlog.Positions) int64 {
	var n int64
	for _, off := range e {
		n += off
	}
	return n
}

// keyHistory is what the log holds of one key: the partition and the
// events in log order.
type keyHistory struct {
	partition int32
	seqs      []int
}

func histories(t *testing.T, log map[int32][]*message.Message) map[string]*keyHistory {
	t.Helper()
	keys := map[string]*keyHistory{}
	for p, msgs := range log {
		for _, msg := range msgs {
			key, seq := keyOf(msg)
			h := keys[key]
			if h == nil {
				h = &keyHistory{partition: p}
				keys[key] = h
			}
			if h.partition != p {
				t.Fatalf("key %s on partitions %d and %d", key, h.partition, p)
			}
			h.seqs = append(h.seqs, seq)
		}
	}
	return keys
}

// checkOrder checks that every key holds its events 0..want[key]-1 in
// order, each stored once, or, if allowCopies, possibly more than once but
// then right after itself (nothing of the key between the copies). It
// returns the copies beyond the first, by message UUID.
func checkOrder(t *testing.T, log map[int32][]*message.Message, want map[string]int, allowCopies bool) map[string]int {
	t.Helper()
	keys := histories(t, log)
	if len(keys) != len(want) {
		t.Errorf("the log holds %d keys, want %d", len(keys), len(want))
	}
	copies := map[string]int{}
	for key, n := range want {
		h := keys[key]
		if h == nil {
			t.Errorf("key %s: nothing stored, want %d events", key, n)
			continue
		}
		var distinct []int
		for i, seq := range h.seqs {
			if i > 0 && seq == h.seqs[i-1] {
				copies[fmt.Sprintf("%s-%d", key, seq)]++
				continue
			}
			distinct = append(distinct, seq)
		}
		if want := intsTo(n); !slices.Equal(distinct, want) || (!allowCopies && len(h.seqs) != n) {
			t.Errorf("key %s on partition %d holds events %v, want %v each once", key, h.partition, h.seqs, want)
		}
	}
	return copies
}

func intsTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func wantedEvents(kps []*keyPublisher) map[string]int {
	want := map[string]int{}
	for _, kp := range kps {
		for key, n := range kp.next {
			want[key] = n
		}
	}
	return want
}

func countLogged(logger *watermill.CaptureLoggerAdapter, level watermill.LogLevel, msg string) int {
	n := 0
	for _, m := range logger.Captured()[level] {
		if m.Msg == msg {
			n++
		}
	}
	return n
}

// TestConcurrentPublishersKeepPerKeyOrder: 16 publishers, 800 keys, calls
// of 1 to 10 messages, on 3 brokers whose partition leaders move every
// 20ms. Every Publish succeeds (the publisher follows the leaders), and
// each key holds its events once each, in order, on one partition.
func TestConcurrentPublishersKeepPerKeyOrder(t *testing.T) {
	b := newBroker(t, 3, false)
	logger := watermill.NewCaptureLogger()
	l, err := kafka.Open(testConfig(b), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	kps := publishers(16, 800, 10)

	stopShuffling := make(chan struct{})
	shuffled := make(chan int)
	go func() {
		n := 0
		defer func() { shuffled <- n }()
		for {
			select {
			case <-stopShuffling:
				return
			case <-time.After(20 * time.Millisecond):
				b.cluster.ShufflePartitionLeaders()
				n++
			}
		}
	}()
	var wg sync.WaitGroup
	for _, kp := range kps {
		wg.Go(func() { kp.run(t, l.Publisher(), 300, false, nil) })
	}
	wg.Wait()
	close(stopShuffling)
	t.Logf("%d leader shuffles; the publisher retried %d chunks", <-shuffled, countLogged(logger, watermill.InfoLogLevel, "Producing failed, retrying"))
	if t.Failed() {
		return
	}

	e := end(t, l)
	if got := total(e); got != 16*300 {
		t.Fatalf("the log holds %d records, want %d", got, 16*300)
	}
	checkOrder(t, readLog(t, l, total(e)), wantedEvents(kps), false)
}

// TestBrokerRestartDuringConcurrentPublishing restarts the 3-broker
// cluster twice while 16 publishers publish calls of 1 to 5 messages,
// each publishing a failed call again until it succeeds. Nothing that was
// acknowledged is lost, and each key holds its events in order. The
// guarantee: an event is stored more than once only if its Publish failed
// and the caller published it again, or a produce request carrying it
// failed without an answer (the connection broke, or it timed out) and the
// publisher sent it again; either way the copies follow each other, with
// nothing of the key in between.
func TestBrokerRestartDuringConcurrentPublishing(t *testing.T) {
	b := newBroker(t, 3, true)
	cfg := testConfig(b)
	logger := watermill.NewCaptureLogger()
	l, err := kafka.Open(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	kps := publishers(16, 400, 5)
	const events = 150

	var retried sync.Map
	var published atomic.Int64
	var wg sync.WaitGroup
	for _, kp := range kps {
		wg.Go(func() {
			kp.run(t, countingPublisher{l.Publisher(), &published}, events, true, &retried)
		})
	}
	for _, at := range []int64{events * 16 / 4, events * 16 * 2 / 3} {
		for published.Load() < at && !t.Failed() {
			time.Sleep(time.Millisecond)
		}
		if err := b.restart(); err != nil {
			t.Fatalf("restart: %v", err)
		}
		t.Logf("restarted the cluster after %d messages", published.Load())
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	l2 := openLog(t, cfg)
	e := end(t, l2)
	copies := checkOrder(t, readLog(t, l2, total(e)), wantedEvents(kps), true)
	var afterCallerRetry, afterLostAnswer int
	for id, n := range copies {
		if _, ok := retried.Load(id); ok {
			afterCallerRetry += n
		} else {
			afterLostAnswer += n
		}
	}
	callerRetried := 0
	retried.Range(func(any, any) bool { callerRetried++; return true })
	t.Logf("the publisher retried %d chunks; %d records for %d events; %d events published again by their callers; copies: %d of those, %d after a produce request without an answer",
		countLogged(logger, watermill.InfoLogLevel, "Producing failed, retrying"), total(e), 16*events, callerRetried, afterCallerRetry, afterLostAnswer)
}

type countingPublisher struct {
	message.Publisher
	n *atomic.Int64
}

func (c countingPublisher) Publish(topic string, msgs ...*message.Message) error {
	err := c.Publisher.Publish(topic, msgs...)
	if err == nil {
		c.n.Add(int64(len(msgs)))
	}
	return err
}

// holdProduce makes the cluster stop at the next produce request until
// release is called; it then handles it as usual. (It blocks the whole
// cluster: kfake's SleepControl, which would hold only the request, races
// on its own state under -race.)
func holdProduce(b *broker) (release func()) {
	ch := make(chan struct{})
	b.cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		<-ch
		return nil, nil, false
	})
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

// TestPublishReturnsWhenContextEnds: a Publish whose context is already
// cancelled stores nothing; one whose context ends while the brokers hold
// its request returns at once (its message may or may not be stored), the
// calls queued behind it succeed once the brokers answer, and Close does not
// wait for a request nobody waits for.
func TestPublishReturnsWhenContextEnds(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b))
	pub := l.Publisher()
	publish(t, pub, keyed(1, 1, 0)) // the topic exists, the connections are up

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	msg := keyedMessage("order-1", 0)
	msg.SetContext(cancelled)
	start := time.Now()
	if err := pub.Publish(topic, msg); !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish with a cancelled context = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Publish with a cancelled context took %s", d)
	}
	if got := total(end(t, l)); got != 1 {
		t.Errorf("after a Publish with a cancelled context the log holds %d records, want 1", got)
	}

	release := holdProduce(b)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	held := keyedMessage("order-2", 0)
	held.SetContext(ctx)
	start = time.Now()
	if err := pub.Publish(topic, held); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish whose context ends while the broker holds it = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Publish returned %s after its context ended at 200ms", d)
	}
	queued := make(chan error)
	go func() { queued <- pub.Publish(topic, keyedMessage("order-3", 0)) }()
	select {
	case err := <-queued:
		t.Fatalf("Publish returned %v while the broker held the round before it", err)
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case err := <-queued:
		if err != nil {
			t.Fatalf("Publish queued behind a held round: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Publish queued behind a held round did not return after the release")
	}

	// Close does not wait for a held request whose caller gave up.
	release = holdProduce(b)
	defer release()
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	gaveUp := keyedMessage("order-4", 0)
	gaveUp.SetContext(ctx)
	if err := pub.Publish(topic, gaveUp); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %v, want context.DeadlineExceeded", err)
	}
	start = time.Now()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %s with a held request nobody waits for", d)
	}
	if err := pub.Publish(topic, keyedMessage("order-5", 0)); !errors.Is(err, kafka.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
}

// TestPartitionIsJavaMurmur2: a key's partition is the Java client's:
// murmur2(key) & 0x7fffffff mod the partition count. The hashes are the
// Java client's (from librdkafka's and kafka-go's tests).
func TestPartitionIsJavaMurmur2(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b)) // 8 partitions
	javaMurmur2 := map[string]uint32{
		"kafka":                                  0xd067cf64,
		"giberish123456789":                      0x8f552b0c,
		"1234":                                   0x9fc97b14,
		"234":                                    0xe7c009ca,
		"34":                                     0x873930da,
		"4":                                      0x5a4b5ca1,
		"PreAmbleWillBeRemoved,ThePrePartThatIs": 0x78424f1c,
		"reAmbleWillBeRemoved,ThePrePartThatIs":  0x4a62b377,
		"eAmbleWillBeRemoved,ThePrePartThatIs":   0xe0e4e09e,
		"AmbleWillBeRemoved,ThePrePartThatIs":    0x62b8b43f,
	}
	var msgs []*message.Message
	for key := range javaMurmur2 {
		msgs = append(msgs, keyedMessage(key, 0))
	}
	if err := l.Publisher().Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
	for key, h := range histories(t, readLog(t, l, int64(len(msgs)))) {
		if want := int32((javaMurmur2[key] & 0x7fffffff) % 8); h.partition != want {
			t.Errorf("key %q on partition %d, want %d", key, h.partition, want)
		}
	}
}

// TestPublishRetriesAndItsLimits injects produce errors: a retriable
// rejection is retried and stores each message once; a REQUEST_TIMED_OUT
// (the broker stored the batch but did not confirm) is retried too and
// stores the batch twice, the copy right after the original; a
// non-retriable error fails the Publish at once.
func TestPublishRetriesAndItsLimits(t *testing.T) {
	b := newBroker(t, 1, false)
	l := openLog(t, testConfig(b))
	pub := l.Publisher()
	publish(t, pub, keyed(1, 1, 0))
	base := total(end(t, l))

	b.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.NotLeaderForPartition, Count: 3})
	if err := pub.Publish(topic, keyedMessage("order-a", 0), keyedMessage("order-b", 0)); err != nil {
		t.Fatalf("Publish through 3 NOT_LEADER_OR_FOLLOWER answers: %v", err)
	}
	if got := total(end(t, l)) - base; got != 2 {
		t.Errorf("after 3 rejections and a success the log holds %d new records, want 2", got)
	}

	b.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.RequestTimedOut})
	if err := pub.Publish(topic, keyedMessage("order-c", 0)); err != nil {
		t.Fatalf("Publish through a REQUEST_TIMED_OUT: %v", err)
	}
	if got := total(end(t, l)) - base; got != 4 {
		t.Errorf("after a timed-out append and its retry the log holds %d new records, want 4 (the copy included)", got)
	}

	b.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.InvalidRecord})
	start := time.Now()
	err := pub.Publish(topic, keyedMessage("order-d", 0))
	if !errors.Is(err, kafkago.InvalidRecord) {
		t.Errorf("Publish answered INVALID_RECORD = %v, want kafka.InvalidRecord", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a non-retriable error took %s to fail the Publish", d)
	}

	log := readLog(t, l, total(end(t, l)))
	checkOrder(t, log, map[string]int{"order-0": 1, "order-a": 1, "order-b": 1, "order-c": 1}, true)
	if got := len(histories(t, log)["order-c"].seqs); got != 2 {
		t.Errorf("order-c stored %d times, want 2 (the retry after the timeout)", got)
	}
}

// TestBadCallDoesNotFailOthers: when the brokers refuse a chunk holding
// several calls' messages with a non-retriable error, each call is sent
// alone, so only a call that is refused by itself fails.
func TestBadCallDoesNotFailOthers(t *testing.T) {
	b := newBroker(t, 1, false)
	logger := watermill.NewCaptureLogger()
	l, err := kafka.Open(testConfig(b), logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	pub := l.Publisher()
	publish(t, pub, keyed(1, 1, 0))

	// Hold a first call's round so that the next calls (one key, so one
	// partition) queue up and share a chunk; refuse the first request
	// carrying more than one record.
	release := holdProduce(b)
	defer release()
	results := make(chan error, 4)
	go func() { results <- pub.Publish(topic, keyedMessage("order-x", 0)) }()
	time.Sleep(100 * time.Millisecond)
	for seq := 1; seq <= 3; seq++ {
		go func() { results <- pub.Publish(topic, keyedMessage("order-x", seq)) }()
	}
	time.Sleep(200 * time.Millisecond)
	refused := b.cluster.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: kerr.InvalidRecord, When: func(req kmsg.Request) bool {
		for _, t := range req.(*kmsg.ProduceRequest).Topics {
			for _, p := range t.Partitions {
				var batch kmsg.RecordBatch
				if batch.ReadFrom(p.Records) == nil && batch.NumRecords > 1 {
					return true
				}
			}
		}
		return false
	}})
	release()
	for range 4 {
		select {
		case err := <-results:
			if err != nil {
				t.Errorf("Publish: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Publish did not return")
		}
	}
	if refused.Hits() != 1 {
		t.Fatalf("the brokers refused %d requests, want 1 (did the calls share a chunk?)", refused.Hits())
	}
	if n := countLogged(logger, watermill.InfoLogLevel, "Producing failed, sending each call's messages alone"); n != 1 {
		t.Errorf("logged sending each call alone %d times, want 1", n)
	}
	h := histories(t, readLog(t, l, total(end(t, l))))["order-x"]
	slices.Sort(h.seqs) // the three calls raced to the queue
	if !slices.Equal(h.seqs, []int{0, 1, 2, 3}) {
		t.Errorf("order-x holds %v, want 0..3 once each", h.seqs)
	}
}
