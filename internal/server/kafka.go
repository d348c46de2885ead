package server

import (
	"errors"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/loquat-dev/loquat/eventlog"
)

// KafkaConfig configures the Kafka event log.
type KafkaConfig struct {
	// Brokers are the bootstrap brokers, host:port.
	Brokers []string
	// Partitions of the events topic when Loquat creates it. Default 8.
	Partitions int
	// ReplicationFactor of the topics Loquat creates. Default 1.
	ReplicationFactor int
}

func openKafka(_ string, cfg LogConfig, logger watermill.LoggerAdapter) (eventlog.Backend, error) {
	return nil, errors.New("the Kafka event log is not built in yet")
}
