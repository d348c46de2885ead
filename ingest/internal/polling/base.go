package polling

import (
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/ingest"
)

// Base is what every poller is built of besides its client and its loop:
// its store over the sink and cursors, its logger, its progress, how it
// ingests a page's orders and how it keeps to the platform's look-back.
type Base[S any] struct {
	Store    Store
	Logger   *slog.Logger
	Progress *Progress
	Orders   Orders[S]
	Lookback Lookback
}

// BaseConfig is what NewBase builds a Base of: the platform's and the
// poller's (its cursor's) names, where it writes, its clock and logger,
// and how it reads an order's state.
type BaseConfig[S any] struct {
	Platform, Name string
	Sink           ingest.Sink
	Cursors        ingest.CursorStore
	Now            func() time.Time
	Logger         *slog.Logger // nil discards logs
	// StateKey names the state in log records ("state", "status").
	StateKey string
	Decode   func(raw json.RawMessage) (Decoded[S], error)
	// StateMemory bounds the orders whose last state is remembered; rank
	// orders the states, so that one moving backwards is ignored.
	StateMemory int
	Rank        func(S) int
	MaxLookback time.Duration
}

// NewBase builds a poller's Base. invalid is the configuration's own
// problems, reported first, with the sink's and cursor store's.
func NewBase[S any](c BaseConfig[S], invalid error) (Base[S], error) {
	store := Store{Platform: c.Platform, Sink: c.Sink, Cursors: c.Cursors, CursorName: c.Name, Now: c.Now}
	if err := errors.Join(invalid, store.Check()); err != nil {
		return Base[S]{}, err
	}
	logger := Logger(c.Logger, c.Platform, c.Name)
	progress := NewProgress(c.Platform, c.Name)
	return Base[S]{
		Store: store, Logger: logger, Progress: progress,
		Orders: Orders[S]{Store: store, Logger: logger, StateKey: c.StateKey, Decode: c.Decode,
			States: NewStateMemory(c.StateMemory, c.Rank)},
		Lookback: Lookback{Platform: c.Platform, Max: c.MaxLookback, Logger: logger, Progress: progress},
	}, nil
}
