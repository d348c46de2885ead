package kafka

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
)

// kafkaLogger passes kafka-go's log lines to the Watermill logger: its
// routine lines at Trace level, its error lines at Info level (kafka-go
// retries them itself; the adapter logs what it gives up on as errors).
type kafkaLogger struct {
	logger watermill.LoggerAdapter
	errors bool
}

func (k kafkaLogger) Printf(format string, args ...any) {
	msg := "kafka-go: " + fmt.Sprintf(format, args...)
	if k.errors {
		k.logger.Info(msg, nil)
		return
	}
	k.logger.Trace(msg, nil)
}
