// Package ingest holds what every source adapter shares: the Sink they write
// to. Each platform or file format has its own package below this one
// (douyin, file, ...), which turns the platform's payloads into domain events.
package ingest

import (
	"context"

	"github.com/loquat-dev/loquat/domain"
)

// Sink is where adapters put what they decode. When Append returns nil the
// events are durably in the event log: only then may an adapter tell its
// source that the input was received. Implementations are safe for
// concurrent use.
type Sink interface {
	// Append writes events to the log, in order, atomically per call.
	Append(ctx context.Context, events ...domain.Event) error
	// DeadLetter keeps an input that could not be decoded or validated.
	DeadLetter(ctx context.Context, dl domain.DeadLetter) error
}
