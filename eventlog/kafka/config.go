package kafka

import (
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// Config configures the Kafka event log. Zero values take the defaults noted
// on each field.
type Config struct {
	// Brokers are the bootstrap addresses (host:port). Required.
	Brokers []string
	// ClientID names this process to the brokers (logs, quotas). Default "loquat".
	ClientID string

	// Partitions is the partition count of eventlog.TopicEvents and of any
	// other topic created on first use. TopicRegistry and TopicDeadLetters
	// always get one partition: the registry must be totally ordered.
	// Default 8.
	Partitions int
	// ReplicationFactor of the topics this log creates. Default 1 (one
	// broker); use 3 on a production cluster.
	ReplicationFactor int
	// SkipTopicCreation turns off creating missing topics (in Open, and on
	// the first Publish, Subscribe or End of a topic). Set it where topics
	// are managed outside Loquat and the client may not create them.
	// Default false: topics are created.
	SkipTopicCreation bool

	// BatchSize is the most messages the publisher commits in one round:
	// the Publish calls queued while a round was in flight, oldest first,
	// up to BatchSize messages (a larger call makes a round of its own). It
	// also bounds the messages sent to one partition in one request, as
	// does 1 MB. Default 1000.
	BatchSize int
	// BatchTimeout is how long an idle publisher waits for BatchSize
	// messages before it sends what a Publish call queued. Default 0: it
	// sends at once. Under load it does not matter: calls queue up while a
	// round is in flight and the next round takes them together, so a
	// linger only adds latency unless requests are costly (e.g. a broker
	// far away, and few publishers).
	BatchTimeout time.Duration
	// RequiredAcks is how many replicas must store a message before Publish
	// returns: kafka.RequireAll (default) or kafka.RequireOne. There is no
	// RequireNone: the log is Loquat's source of truth, and a write nobody
	// acknowledged may be lost.
	RequiredAcks kafkago.RequiredAcks
	// Compression of produced batches: 0 (none, default), kafka.Gzip,
	// kafka.Snappy, kafka.Lz4 or kafka.Zstd.
	Compression kafkago.Compression
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration
	// WriteAttempts is how often the publisher tries to store a chunk of
	// messages in a partition (and to read the partition leaders) before
	// the Publish calls of those messages fail. Default 10 (with backoff,
	// ~10s: a broker restart).
	WriteAttempts int

	// MinBytes is the least data a fetch waits for. Default 1: a fetch
	// returns as soon as one message is there.
	MinBytes int
	// MaxBytes is the most data one fetch of one partition returns.
	// Default 1 MiB.
	MaxBytes int
	// MaxWait is how long the broker holds a fetch while less than MinBytes
	// are there. With MinBytes 1 it adds no latency (the broker answers a
	// waiting fetch as soon as a message arrives); it only sets how often an
	// idle partition's fetch is renewed. Default 250ms.
	MaxWait time.Duration
	// SessionTimeout is how long the group coordinator waits for a
	// heartbeat before it declares a member dead and gives its partitions to
	// others: a crashed process stalls its partitions that long. Brokers
	// accept 6s–5min by default. Default 10s.
	SessionTimeout time.Duration
	// HeartbeatInterval is how often a member heartbeats. Members learn of
	// a rebalance from a heartbeat, so it bounds how fast a rebalance
	// starts. At most a third of SessionTimeout. Default 1s.
	HeartbeatInterval time.Duration
	// RebalanceTimeout is how long the coordinator waits for every member
	// to rejoin during a rebalance; a member that stops consuming and
	// commits within it keeps its place. Must exceed DrainTimeout.
	// Default 30s.
	RebalanceTimeout time.Duration
	// CommitInterval is how often acknowledged offsets are committed. Acks
	// are also committed before a partition is given up (rebalance, Close),
	// so it only bounds what a crash redelivers. Default 1s.
	CommitInterval time.Duration
	// NackResendSleep is the wait before a nacked message is delivered
	// again. Default 100ms.
	NackResendSleep time.Duration
	// DrainTimeout is how long a rebalance or Close waits for the ack of a
	// message already delivered, so that finished work is committed rather
	// than delivered again. Default 5s.
	DrainTimeout time.Duration
	// RetryBackoff is the longest wait between retries of failed fetches,
	// produce requests and group joins (they back off from 100ms).
	// Default 1s.
	RetryBackoff time.Duration
	// DialTimeout bounds connecting to a broker. Default 10s.
	DialTimeout time.Duration

	// TLS, if set, encrypts every connection (producer, consumers, admin).
	TLS *tls.Config
	// SASL, if set, authenticates every connection, e.g.
	// plain.Mechanism{...} or scram.Mechanism(scram.SHA512, user, pass)
	// from github.com/segmentio/kafka-go/sasl.
	SASL sasl.Mechanism
}

func (c *Config) setDefaults() {
	setDefault(&c.ClientID, "loquat")
	setDefault(&c.Partitions, 8)
	setDefault(&c.ReplicationFactor, 1)
	setDefault(&c.BatchSize, 1000)
	setDefault(&c.RequiredAcks, kafkago.RequireAll)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.WriteAttempts, 10)
	setDefault(&c.MinBytes, 1)
	setDefault(&c.MaxBytes, 1<<20)
	setDefault(&c.MaxWait, 250*time.Millisecond)
	setDefault(&c.SessionTimeout, 10*time.Second)
	setDefault(&c.HeartbeatInterval, time.Second)
	setDefault(&c.RebalanceTimeout, 30*time.Second)
	setDefault(&c.CommitInterval, time.Second)
	setDefault(&c.NackResendSleep, 100*time.Millisecond)
	setDefault(&c.DrainTimeout, 5*time.Second)
	setDefault(&c.RetryBackoff, time.Second)
	setDefault(&c.DialTimeout, 10*time.Second)
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

// Validate reports every problem of the configuration at once. Open calls
// it after filling in the defaults, so zero values pass.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("kafka event log: "+format, args...))
	}
	if len(c.Brokers) == 0 {
		bad("Brokers is empty")
	}
	for i, b := range c.Brokers {
		if b == "" {
			bad("Brokers[%d] is empty", i)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"Partitions", c.Partitions}, {"ReplicationFactor", c.ReplicationFactor}, {"BatchSize", c.BatchSize},
		{"WriteAttempts", c.WriteAttempts}, {"MinBytes", c.MinBytes}, {"MaxBytes", c.MaxBytes},
	} {
		if f.v < 0 {
			bad("%s is %d, must not be negative", f.name, f.v)
		}
	}
	if c.MaxBytes > 0 && c.MinBytes > c.MaxBytes {
		bad("MinBytes (%d) exceeds MaxBytes (%d)", c.MinBytes, c.MaxBytes)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"BatchTimeout", c.BatchTimeout}, {"WriteTimeout", c.WriteTimeout}, {"MaxWait", c.MaxWait},
		{"SessionTimeout", c.SessionTimeout}, {"HeartbeatInterval", c.HeartbeatInterval},
		{"RebalanceTimeout", c.RebalanceTimeout}, {"CommitInterval", c.CommitInterval},
		{"NackResendSleep", c.NackResendSleep}, {"DrainTimeout", c.DrainTimeout},
		{"RetryBackoff", c.RetryBackoff}, {"DialTimeout", c.DialTimeout},
	} {
		if f.d < 0 {
			bad("%s is %s, must not be negative", f.name, f.d)
		}
	}
	if c.HeartbeatInterval > 0 && c.SessionTimeout > 0 && 3*c.HeartbeatInterval > c.SessionTimeout {
		bad("HeartbeatInterval (%s) must be at most a third of SessionTimeout (%s)", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.DrainTimeout > 0 && c.RebalanceTimeout > 0 && c.DrainTimeout >= c.RebalanceTimeout {
		bad("DrainTimeout (%s) must be below RebalanceTimeout (%s), or draining members are expelled from the group", c.DrainTimeout, c.RebalanceTimeout)
	}
	switch c.RequiredAcks {
	case 0, kafkago.RequireAll, kafkago.RequireOne:
	default:
		bad("RequiredAcks is %d, want kafka.RequireAll or kafka.RequireOne", c.RequiredAcks)
	}
	switch c.Compression {
	case 0, kafkago.Gzip, kafkago.Snappy, kafkago.Lz4, kafkago.Zstd:
	default:
		bad("Compression is %d, want 0 (none), kafka.Gzip, kafka.Snappy, kafka.Lz4 or kafka.Zstd", c.Compression)
	}
	return errors.Join(errs...)
}

// dialer is what the consumer group and the partition readers connect with.
func (c Config) dialer() *kafkago.Dialer {
	return &kafkago.Dialer{
		ClientID:      c.ClientID,
		Timeout:       c.DialTimeout,
		DualStack:     true,
		KeepAlive:     30 * time.Second,
		TLS:           c.TLS,
		SASLMechanism: c.SASL,
	}
}

// transport is what the admin requests connect with; the publisher has
// one of its own with the same settings.
func (c Config) transport() *kafkago.Transport {
	return &kafkago.Transport{
		ClientID:    c.ClientID,
		DialTimeout: c.DialTimeout,
		TLS:         c.TLS,
		SASL:        c.SASL,
	}
}
