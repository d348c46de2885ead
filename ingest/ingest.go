// Package ingest holds what every source adapter shares: the Sink they write
// to, the Guard that applies the domain's input rules in front of the event
// log on every input path, and the text encodings files are read in
// (DecodeText, TextReader). Each platform or file format has its own package
// below this one (douyin, file, ...), which turns the platform's payloads
// into domain events.
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

// CursorStore keeps a poller's position (its time window, the platform's
// cursor) durably between runs. A poller saves its cursor only after the
// events of what it covers were appended to the sink: a crash in between
// makes it poll that stretch again, which appends events with the same ids,
// counted once downstream. Implementations are safe for concurrent use.
type CursorStore interface {
	// Load returns the cursor saved under name, and false if none was.
	Load(ctx context.Context, name string) (cursor string, ok bool, err error)
	// Save replaces the cursor saved under name.
	Save(ctx context.Context, name, cursor string) error
}

// Poller is a source that asks a platform for what changed, again and
// again, until its context ends.
type Poller interface {
	// Run polls until ctx ends; it returns nil then, or an error that
	// retrying cannot fix (a bad configuration).
	Run(ctx context.Context) error
}
