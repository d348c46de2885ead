package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/sqlite"
)

// receiveWithin publishes one message through pub and fails unless ch
// delivers it within d.
func receiveWithin(t *testing.T, pub message.Publisher, ch <-chan *message.Message, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := pub.Publish("idle", message.NewMessage(watermill.NewUUID(), []byte("x"))); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-ch:
		msg.Ack()
		return time.Since(start)
	case <-time.After(d):
		t.Fatalf("an append was not delivered within %s", d)
		return 0
	}
}

// TestIdleSubscriberWakesOnAppend: with a PollInterval of a minute, an
// append through the same Log still reaches an idle subscriber at once,
// and one through another Log on the same directory (another process)
// within the PollInterval.
func TestIdleSubscriberWakesOnAppend(t *testing.T) {
	dir := t.TempDir()
	open := func(poll time.Duration) *sqlite.Log {
		l, err := sqlite.Open(sqlite.Config{Dir: dir, Synchronous: "NORMAL", PollInterval: poll}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}
	l := open(time.Minute)
	sub, err := l.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "g"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := sub.Subscribe(context.Background(), "idle")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		time.Sleep(300 * time.Millisecond) // idle: the subscriber waits
		receiveWithin(t, l.Publisher(), ch, 10*time.Second)
	}

	other := open(time.Minute)
	l2 := open(200 * time.Millisecond)
	sub2, err := l2.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "g2"})
	if err != nil {
		t.Fatal(err)
	}
	ch2, err := sub2.Subscribe(context.Background(), "idle")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the three appends above
		select {
		case msg := <-ch2:
			msg.Ack()
		case <-time.After(10 * time.Second):
			t.Fatal("the earlier appends were not delivered")
		}
	}
	time.Sleep(300 * time.Millisecond)
	if took := receiveWithin(t, other.Publisher(), ch2, 10*time.Second); took > 5*time.Second {
		t.Errorf("an append by another Log took %s to arrive, PollInterval is 200ms", took)
	}
}

// TestTransientGroupLeavesNoFile: a transient group reads from ResumeAfter
// and keeps no offsets file; a durable one keeps its file.
func TestTransientGroupLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	l, err := sqlite.Open(sqlite.Config{Dir: dir, Synchronous: "NORMAL"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := range 3 {
		if err := l.Publisher().Publish("t", message.NewMessage(watermill.NewUUID(), []byte{byte(i)})); err != nil {
			t.Fatal(err)
		}
	}
	for _, transient := range []bool{true, true, false} {
		sub, err := l.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: "reader", ResumeAfter: eventlog.Positions{}, Transient: transient})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ch, err := sub.Subscribe(ctx, "t")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			select {
			case msg := <-ch:
				if msg.Payload[0] != byte(i) {
					t.Fatalf("transient %v: message %d is %d", transient, i, msg.Payload[0])
				}
				msg.Ack()
			case <-ctx.Done():
				t.Fatalf("transient %v: %d of 3 messages", transient, i)
			}
		}
		cancel()
		sub.Close()
		_, err = os.Stat(filepath.Join(dir, "t.groups", "reader.db"))
		if exists := err == nil; exists == transient {
			t.Errorf("transient %v: offsets file exists: %v", transient, exists)
		}
	}
}
