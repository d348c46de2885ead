package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/loquat-dev/loquat/internal/server"
)

// logFlags select the event log, for every command that reads or writes it.
type logFlags struct {
	backend     string
	sync        string
	brokers     string
	partitions  int
	replication int
	dialTimeout time.Duration
}

// flagChecks are the validations of the flag groups registered on each
// command's flag set; the root command runs the running command's before
// anything is opened, so every command that takes a group validates it.
var flagChecks = map[*pflag.FlagSet][]func() error{}

func checkFlags(fs *pflag.FlagSet) error {
	var errs []error
	for _, check := range flagChecks[fs] {
		errs = append(errs, check())
	}
	return errors.Join(errs...)
}

func (f *logFlags) register(fs *pflag.FlagSet) {
	flagChecks[fs] = append(flagChecks[fs], f.validate)
	fs.StringVar(&f.backend, "eventlog", envOr("LOQUAT_EVENTLOG", "sqlite"), "event log: sqlite (embedded, in --data-dir) or kafka (env LOQUAT_EVENTLOG)")
	fs.StringVar(&f.sync, "eventlog-sync", envOr("LOQUAT_EVENTLOG_SYNC", "FULL"), "embedded log: FULL fsyncs every append before it is acknowledged; NORMAL is faster, survives a crash but not a power loss (env LOQUAT_EVENTLOG_SYNC)")
	fs.StringVar(&f.brokers, "kafka-brokers", envOr("LOQUAT_KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, host:port,... (env LOQUAT_KAFKA_BROKERS)")
	fs.IntVar(&f.partitions, "kafka-partitions", envInt("LOQUAT_KAFKA_PARTITIONS", 8), "partitions of the events topic when Loquat creates it (env LOQUAT_KAFKA_PARTITIONS)")
	fs.IntVar(&f.replication, "kafka-replication", envInt("LOQUAT_KAFKA_REPLICATION", 1), "replication factor of the topics Loquat creates (env LOQUAT_KAFKA_REPLICATION)")
	fs.DurationVar(&f.dialTimeout, "kafka-dial-timeout", envDuration("LOQUAT_KAFKA_DIAL_TIMEOUT", 10*time.Second), "how long connecting to a Kafka broker may take (env LOQUAT_KAFKA_DIAL_TIMEOUT)")
}

// validate checks the flags before anything is opened, naming each bad
// flag; every problem is reported at once.
func (f *logFlags) validate() error {
	var errs []error
	switch f.backend {
	case "sqlite":
		if f.sync != "FULL" && f.sync != "NORMAL" {
			errs = append(errs, fmt.Errorf("--eventlog-sync=%q: want FULL or NORMAL", f.sync))
		}
	case "kafka":
		brokers := f.config().Kafka.Brokers
		if len(brokers) == 0 {
			errs = append(errs, errors.New("--kafka-brokers is empty: give host:port,..."))
		}
		for _, b := range brokers {
			if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
				errs = append(errs, fmt.Errorf("--kafka-brokers: %q is not host:port", b))
			}
		}
		if f.partitions < 1 {
			errs = append(errs, fmt.Errorf("--kafka-partitions=%d: want 1 or more", f.partitions))
		}
		if f.dialTimeout <= 0 {
			errs = append(errs, fmt.Errorf("--kafka-dial-timeout=%s: want a positive duration such as 10s", f.dialTimeout))
		}
		if f.replication < 1 {
			errs = append(errs, fmt.Errorf("--kafka-replication=%d: want 1 or more", f.replication))
		}
	default:
		errs = append(errs, fmt.Errorf("--eventlog=%q: want sqlite or kafka", f.backend))
	}
	return errors.Join(errs...)
}

func (f *logFlags) config() server.LogConfig {
	cfg := server.LogConfig{Backend: f.backend}
	cfg.SQLite.Synchronous = f.sync
	for _, b := range strings.Split(f.brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			cfg.Kafka.Brokers = append(cfg.Kafka.Brokers, b)
		}
	}
	cfg.Kafka.Partitions = f.partitions
	cfg.Kafka.ReplicationFactor = f.replication
	cfg.Kafka.DialTimeout = f.dialTimeout
	return cfg
}

// envInt reads an integer from the environment; a value that is not one
// becomes -1, which the flag's validation rejects (naming the flag).
func envInt(name string, def int) int {
	v := envOr(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// envDuration reads a duration from the environment; a value that is not
// one becomes -1, which the flag's validation rejects (naming the flag).
func envDuration(name string, def time.Duration) time.Duration {
	v := envOr(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

// validateAddr checks a listen address such as 127.0.0.1:8080 or :0.
func validateAddr(flag, addr string) error {
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("--%s=%q is not host:port, e.g. 127.0.0.1:8080 (:0 picks a free port)", flag, addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("--%s=%q: the port is not a number from 0 to 65535", flag, addr)
	}
	return nil
}

// storeFlags select the read model.
type storeFlags struct {
	backend string
	dsn     string
}

func (f *storeFlags) register(fs *pflag.FlagSet) {
	flagChecks[fs] = append(flagChecks[fs], f.validate)
	fs.StringVar(&f.backend, "store", envOr("LOQUAT_STORE", "sqlite"), "read model: sqlite (in --data-dir) or clickhouse (env LOQUAT_STORE)")
	fs.StringVar(&f.dsn, "clickhouse-dsn", envOr("LOQUAT_CLICKHOUSE_DSN", "clickhouse://127.0.0.1:9000/loquat"), "ClickHouse, native protocol (env LOQUAT_CLICKHOUSE_DSN)")
}

func (f *storeFlags) validate() error {
	switch f.backend {
	case "sqlite":
		return nil
	case "clickhouse":
		if err := f.config().Validate(); err != nil {
			return fmt.Errorf("--clickhouse-dsn: %w", err)
		}
		return nil
	default:
		return fmt.Errorf("--store=%q: want sqlite or clickhouse", f.backend)
	}
}

func (f *storeFlags) config() server.StoreConfig {
	return server.StoreConfig{Backend: f.backend, ClickHouseDSN: f.dsn}
}
