package main

import (
	"strconv"
	"strings"

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
}

func (f *logFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.backend, "eventlog", envOr("LOQUAT_EVENTLOG", "sqlite"), "event log: sqlite (embedded, in --data-dir) or kafka (env LOQUAT_EVENTLOG)")
	fs.StringVar(&f.sync, "eventlog-sync", envOr("LOQUAT_EVENTLOG_SYNC", "FULL"), "embedded log: FULL fsyncs every append before it is acknowledged; NORMAL is faster, survives a crash but not a power loss (env LOQUAT_EVENTLOG_SYNC)")
	fs.StringVar(&f.brokers, "kafka-brokers", envOr("LOQUAT_KAFKA_BROKERS", "127.0.0.1:9092"), "Kafka bootstrap brokers, host:port,... (env LOQUAT_KAFKA_BROKERS)")
	fs.IntVar(&f.partitions, "kafka-partitions", envInt("LOQUAT_KAFKA_PARTITIONS", 8), "partitions of the events topic when Loquat creates it (env LOQUAT_KAFKA_PARTITIONS)")
	fs.IntVar(&f.replication, "kafka-replication", envInt("LOQUAT_KAFKA_REPLICATION", 1), "replication factor of the topics Loquat creates (env LOQUAT_KAFKA_REPLICATION)")
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
	return cfg
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(envOr(name, "")); err == nil {
		return v
	}
	return def
}

// storeFlags select the read model.
type storeFlags struct {
	backend string
	dsn     string
}

func (f *storeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.backend, "store", envOr("LOQUAT_STORE", "sqlite"), "read model: sqlite (in --data-dir) or clickhouse (env LOQUAT_STORE)")
	fs.StringVar(&f.dsn, "clickhouse-dsn", envOr("LOQUAT_CLICKHOUSE_DSN", "clickhouse://127.0.0.1:9000/loquat"), "ClickHouse, native protocol (env LOQUAT_CLICKHOUSE_DSN)")
}

func (f *storeFlags) config() server.StoreConfig {
	return server.StoreConfig{Backend: f.backend, ClickHouseDSN: f.dsn}
}
