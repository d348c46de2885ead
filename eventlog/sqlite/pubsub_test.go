package sqlite_test

import (
	"os"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/eventlogtest"
	"github.com/loquat-dev/loquat/eventlog/sqlite"
)

// sharedPath is one log file for the whole package run: Watermill's suite
// builds several Pub/Sub instances per test that must see the same messages,
// as separate processes on one data dir would. Topics are unique per test.
var sharedPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loquat-eventlog-sqlite-")
	if err != nil {
		panic(err)
	}
	sharedPath = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func open(t *testing.T, group string) (message.Publisher, message.Subscriber) {
	t.Helper()
	l, err := sqlite.Open(sqlite.Config{Dir: sharedPath, Synchronous: "NORMAL"}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	sub, err := l.NewSubscriber(eventlog.SubscriberOptions{ConsumerGroup: group})
	if err != nil {
		t.Fatal(err)
	}
	return l.Publisher(), sub
}

// TestWatermillUniversalSuite runs Watermill's own Pub/Sub conformance tests.
func TestWatermillUniversalSuite(t *testing.T) {
	tests.TestPubSub(t, tests.Features{
		ConsumerGroups:                   true,
		ExactlyOnceDelivery:              true,
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: false,
	},
		func(t *testing.T) (message.Publisher, message.Subscriber) { return open(t, "test") },
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) { return open(t, group) },
	)
}

func TestEventLogConformance(t *testing.T) {
	eventlogtest.Run(t, eventlogtest.Features{Partitions: 1}, func(t *testing.T, dir string) eventlog.Backend {
		l, err := sqlite.Open(sqlite.Config{Dir: dir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	})
}
