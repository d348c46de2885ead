package server

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/eventlog/kafka"
)

// KafkaConfig configures the Kafka event log; see kafka.Config for the rest.
type KafkaConfig struct {
	// Brokers are the bootstrap brokers, host:port.
	Brokers []string
	// Partitions of the events topic when Loquat creates it. Default 8.
	Partitions int
	// ReplicationFactor of the topics Loquat creates. Default 1.
	ReplicationFactor int
	// DialTimeout bounds connecting to a broker. Default 10s.
	DialTimeout time.Duration
}

func openKafka(_ string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error) {
	l, err := kafka.Open(kafka.Config{
		Brokers:           cfg.Kafka.Brokers,
		Partitions:        cfg.Kafka.Partitions,
		ReplicationFactor: cfg.Kafka.ReplicationFactor,
		DialTimeout:       cfg.Kafka.DialTimeout,
	}, logger)
	if err != nil {
		return nil, err // not l: a nil *Log in a non-nil Backend
	}
	return l, nil
}
