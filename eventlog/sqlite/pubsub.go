// Package sqlite is Loquat's embedded event log: a durable Watermill Pub/Sub
// on a local SQLite file (modernc.org/sqlite, pure Go, WAL), built from
// watermill-sql's subscriber with a SQLite schema and offsets adapter.
package sqlite

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/loquat-dev/loquat/eventlog"
)

// Config configures the embedded log.
type Config struct {
	// Dir holds the log: one SQLite file per topic (<topic>.db), so that a
	// subscriber delivering one topic never holds up another topic's readers
	// and writers. Required; created if missing.
	Dir string
	// PollInterval is how often an idle subscriber looks for messages that
	// other processes appended (e.g. `loquat import` beside `loquat serve`):
	// it bounds their added latency. Appends through this Log wake its
	// subscribers at once. Default 250ms.
	PollInterval time.Duration
	// SubscribeBatchSize is how many messages a subscriber reads per query.
	// Default 1000.
	SubscribeBatchSize int
	// BusyTimeout is how long a statement waits for a lock held by another
	// connection or process (e.g. `loquat import` beside `loquat serve`).
	// Default 30s.
	BusyTimeout time.Duration
	// Synchronous is SQLite's synchronous setting: "FULL" (default) fsyncs the
	// WAL on every commit, so an acknowledged append survives a power loss;
	// "NORMAL" survives a process crash but may lose the last commits on power loss.
	Synchronous string
	// AckDeadline is how long a delivered message may stay unacked before it is
	// redelivered. Default 30s.
	AckDeadline time.Duration
	// ResendInterval is the wait before a nacked message is redelivered. Default 50ms.
	ResendInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.SubscribeBatchSize == 0 {
		c.SubscribeBatchSize = 1000
	}
	if c.BusyTimeout == 0 {
		c.BusyTimeout = 30 * time.Second
	}
	if c.Synchronous == "" {
		c.Synchronous = "FULL"
	}
	if c.AckDeadline == 0 {
		c.AckDeadline = 30 * time.Second
	}
	if c.ResendInterval == 0 {
		c.ResendInterval = 50 * time.Millisecond
	}
}

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("sqlite event log: Dir is empty"))
	}
	if c.PollInterval < 0 || c.BusyTimeout < 0 || c.AckDeadline < 0 || c.ResendInterval < 0 {
		errs = append(errs, errors.New("sqlite event log: durations must not be negative"))
	}
	if c.SubscribeBatchSize < 0 {
		errs = append(errs, fmt.Errorf("sqlite event log: SubscribeBatchSize %d is negative", c.SubscribeBatchSize))
	}
	switch c.Synchronous {
	case "", "FULL", "NORMAL":
	default:
		errs = append(errs, fmt.Errorf("sqlite event log: Synchronous is %q, want FULL or NORMAL", c.Synchronous))
	}
	return errors.Join(errs...)
}

// Log is the embedded event log. It implements eventlog.Backend.
type Log struct {
	cfg     Config
	logger  watermill.LoggerAdapter
	schema  schemaAdapter
	pub     *publisher
	signals appendSignals

	mu          sync.Mutex
	closed      bool
	topics      map[string]*topicDB
	subscribers []*subscriber
}

var _ eventlog.Backend = (*Log)(nil)

// topicDB is one topic's messages file.
type topicDB struct {
	// write has one connection: in-process appends queue in Go instead of
	// sleeping in SQLite's busy handler. Its transactions are IMMEDIATE, so
	// they wait for another process's lock instead of failing with
	// SQLITE_BUSY_SNAPSHOT.
	write *stdsql.DB
}

func dsn(path string, cfg Config, immediate bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+cfg.Synchronous+")")
	if immediate {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the log in cfg.Dir and its standard topics.
func Open(cfg Config, logger watermill.LoggerAdapter) (*Log, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = watermill.NopLogger{}
	}
	if fi, err := os.Stat(cfg.Dir); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("event log directory %s is a file, not a directory: move it away or choose another data dir", cfg.Dir)
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create event log directory %s: %w", cfg.Dir, err)
	}
	l := &Log{
		cfg:    cfg,
		logger: logger,
		schema: schemaAdapter{batchSize: cfg.SubscribeBatchSize},
		topics: map[string]*topicDB{},
	}
	for _, topic := range []string{eventlog.TopicEvents, eventlog.TopicRegistry, eventlog.TopicDeadLetters, eventlog.TopicCursors} {
		if _, err := l.topic(context.Background(), topic); err != nil {
			l.Close()
			return nil, err
		}
	}
	l.pub = newPublisher(l)
	return l, nil
}

// topic opens a topic's file and creates its tables, once.
func (l *Log) topic(ctx context.Context, topic string) (*topicDB, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("sqlite event log is closed")
	}
	if t, ok := l.topics[topic]; ok {
		return t, nil
	}
	if err := validateTopic(topic); err != nil {
		return nil, err
	}
	path := filepath.Join(l.cfg.Dir, topic+".db")
	write, err := stdsql.Open("sqlite", dsn(path, l.cfg, true))
	if err != nil {
		return nil, fmt.Errorf("open event log %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	queries, _ := l.schema.SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams{Topic: topic})
	if err := execInTx(ctx, write, queries); err != nil {
		write.Close()
		return nil, fmt.Errorf("create the tables of topic %s in %s: %w (is the directory writable and the file not corrupt?)", topic, path, err)
	}
	t := &topicDB{write: write}
	l.topics[topic] = t
	return t, nil
}

// Publisher returns the log's publisher. Concurrent Publish calls are
// committed together (group commit): one transaction and one fsync for all
// of them, each call still atomic and durable when it returns.
func (l *Log) Publisher() message.Publisher { return l.pub }

// NewSubscriber returns a Watermill subscriber reading with opts.ConsumerGroup.
func (l *Log) NewSubscriber(opts eventlog.SubscriberOptions) (message.Subscriber, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("sqlite event log is closed")
	}
	var resume *int64
	if opts.ResumeAfter != nil {
		v := opts.ResumeAfter[0]
		resume = &v
	}
	s := &subscriber{log: l, group: opts.ConsumerGroup, resumeAfter: resume, transient: opts.Transient}
	l.subscribers = append(l.subscribers, s)
	return s, nil
}

// End returns the offset of the last message in topic (partition 0).
func (l *Log) End(ctx context.Context, topic string) (eventlog.Positions, error) {
	t, err := l.topic(ctx, topic)
	if err != nil {
		return nil, err
	}
	var end int64
	if err := t.write.QueryRowContext(ctx, `SELECT COALESCE(MAX("offset"), 0) FROM `+messagesTable(topic)).Scan(&end); err != nil {
		return nil, fmt.Errorf("read end of topic %s: %w", topic, err)
	}
	return eventlog.Positions{0: end}, nil
}

// Close stops the subscribers and the publisher and closes the files. It is
// safe to call twice; calls after it return errors.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	subs := l.subscribers
	l.subscribers = nil
	l.mu.Unlock()

	var errs []error
	for _, s := range subs {
		errs = append(errs, s.Close())
	}
	if l.pub != nil {
		errs = append(errs, l.pub.Close())
	}
	l.mu.Lock()
	for _, t := range l.topics {
		errs = append(errs, t.write.Close())
	}
	l.topics = nil
	l.mu.Unlock()
	return errors.Join(errs...)
}
