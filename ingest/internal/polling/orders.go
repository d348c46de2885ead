package polling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/loquat-dev/loquat/domain"
)

// Decoded is one order of a page mapped to its events. S is how the
// platform states where the order is in its life.
type Decoded[S any] struct {
	ID     string
	State  S
	Events []domain.Event
}

// Orders maps the orders of a page to events and appends them: what the
// pollers do with every page they read.
type Orders[S any] struct {
	Store  Store
	Logger *slog.Logger
	States *StateMemory[S]
	// StateKey names the state in log records ("state", "status").
	StateKey string
	// Decode maps one order, or says why it cannot be used with an
	// *OrderError.
	Decode func(raw json.RawMessage) (Decoded[S], error)
}

// Ingest maps raws, keeps those that cannot be used as dead letters (the
// *OrderError's text, naming the order and its problem only, is the
// reason, so the same bad order read again — an overlap, another pass, a
// restart — is the same dead letter), drops states that moved backwards,
// and appends the rest in one call. It returns the page's order ids,
// position(i) for an order without one. page names the page in the
// append's error, attrs in log records.
func (o Orders[S]) Ingest(ctx context.Context, raws []json.RawMessage, page string, attrs []slog.Attr, position func(i int) string) ([]string, error) {
	platform := o.Store.Platform
	ids := make([]string, 0, len(raws))
	var events []domain.Event
	for i, raw := range raws {
		d, err := o.Decode(raw)
		if err != nil {
			id := position(i)
			var oe *OrderError
			if errors.As(err, &oe) && oe.ID != "" {
				id = oe.ID
			}
			ids = append(ids, id)
			if err := o.Store.DeadLetter(ctx, err.Error(), raw); err != nil {
				return nil, err
			}
			o.Logger.LogAttrs(ctx, slog.LevelWarn, platform+" order rejected, kept as a dead letter",
				append([]slog.Attr{slog.String("order_id", id)}, append(attrs, slog.String("err", err.Error()))...)...)
			continue
		}
		ids = append(ids, d.ID)
		if earlier, backwards := o.States.Observe(d.ID, d.State); backwards {
			o.Logger.LogAttrs(ctx, slog.LevelWarn, platform+" order "+o.StateKey+" moved backwards; ignored",
				slog.String("order_id", d.ID), slog.Any(o.StateKey, d.State), slog.Any("earlier_"+o.StateKey, earlier))
			continue
		}
		events = append(events, d.Events...)
	}
	if len(events) > 0 {
		if err := o.Store.Sink.Append(ctx, events...); err != nil {
			return nil, fmt.Errorf("appending %d events of %s: %w", len(events), page, err)
		}
	}
	return ids, nil
}
