package sqlite_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/eventlog/sqlite"
)

// TestConcurrentOpenAndPublish opens one new log from many goroutines at once,
// as processes sharing a data dir do, and publishes from each: no open may
// fail with SQLITE_BUSY and no message may be lost.
func TestConcurrentOpenAndPublish(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := sqlite.Open(sqlite.Config{Dir: dir}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for j := 0; j < 5; j++ {
				if err := l.Publisher().Publish("loquat.events", message.NewMessage("x", []byte("y"))); err != nil {
					t.Error(err)
				}
			}
			l.Close()
		}()
	}
	wg.Wait()
	l, err := sqlite.Open(sqlite.Config{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	end, err := l.End(context.Background(), "loquat.events")
	if err != nil || end[0] != 300 {
		t.Fatalf("log ends at %v (%v), want 300 messages", end, err)
	}
}
