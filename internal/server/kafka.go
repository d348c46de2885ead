package server

import (
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
}

func openKafka(_ string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error) {
	return kafka.Open(kafka.Config{
		Brokers:           cfg.Kafka.Brokers,
		Partitions:        cfg.Kafka.Partitions,
		ReplicationFactor: cfg.Kafka.ReplicationFactor,
	}, logger)
}
