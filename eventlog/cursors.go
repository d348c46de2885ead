package eventlog

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
)

// TopicCursors carries pollers' cursors: each message is one cursor value,
// the last one per name wins. One partition keeps them in order.
const TopicCursors = "loquat.cursors"

const metaCursorName = "loquat_cursor_name"

// CursorStore keeps pollers' cursors in the event log itself (ingest.CursorStore),
// so a poller resumes where it left off on whichever machine it runs, with
// the embedded log or with Kafka alike. Load reads the topic to its end once;
// later Loads answer from memory, kept up to date by this store's Saves. Only
// one poller should own a name at a time.
type CursorStore struct {
	log Backend

	mu     sync.Mutex
	loaded bool
	values map[string]string
}

// NewCursorStore returns a cursor store over the log.
func NewCursorStore(log Backend) *CursorStore {
	return &CursorStore{log: log, values: map[string]string{}}
}

// Load returns the last cursor saved under name.
func (s *CursorStore) Load(ctx context.Context, name string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		if err := s.readAll(ctx); err != nil {
			return "", false, err
		}
		s.loaded = true
	}
	v, ok := s.values[name]
	return v, ok, nil
}

// Save appends a cursor; it is durable when Save returns.
func (s *CursorStore) Save(ctx context.Context, name, cursor string) error {
	msg := message.NewMessage(watermill.NewUUID(), []byte(cursor))
	msg.Metadata.Set(metaCursorName, name)
	msg.Metadata.Set(MetaPartitionKey, "cursor/"+name)
	msg.SetContext(ctx)
	if err := s.log.Publisher().Publish(TopicCursors, msg); err != nil {
		return fmt.Errorf("save cursor %s: %w", name, err)
	}
	s.mu.Lock()
	s.values[name] = cursor
	s.mu.Unlock()
	return nil
}

// readAll reads TopicCursors from its start to its current end; a later
// value of a name replaces an earlier one.
func (s *CursorStore) readAll(ctx context.Context) error {
	end, err := s.log.End(ctx, TopicCursors)
	if err != nil {
		return fmt.Errorf("read cursors: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	group := fmt.Sprintf("cursors-%d", time.Now().UnixNano())
	err = ReadUntil(ctx, s.log, group, TopicCursors, end, func(msg *message.Message, _ Position) error {
		s.values[msg.Metadata.Get(metaCursorName)] = string(msg.Payload)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read cursors up to %v: %w", end, err)
	}
	return nil
}
