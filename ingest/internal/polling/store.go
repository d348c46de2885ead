package polling

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest"
)

// Store is where a poller keeps what it reads, the sink (dead letters
// included), and how far it got, its cursor in the cursor store.
type Store struct {
	Platform string // the dead letters' source: "jd"
	Sink     ingest.Sink
	Cursors  ingest.CursorStore
	// CursorName is the poller's cursor in Cursors (its Config's Name).
	CursorName string
	// Now stamps the dead letters.
	Now func() time.Time
}

// Check reports a missing sink or cursor store, both at once.
func (s Store) Check() error {
	var errs []error
	if s.Sink == nil {
		errs = append(errs, errors.New(s.Platform+": sink is nil"))
	}
	if s.Cursors == nil {
		errs = append(errs, errors.New(s.Platform+": cursor store is nil"))
	}
	return errors.Join(errs...)
}

// LoadCursor returns the cursor saved, and false if none was.
func (s Store) LoadCursor(ctx context.Context) (string, bool, error) {
	saved, ok, err := s.Cursors.Load(ctx, s.CursorName)
	if err != nil {
		return "", false, fmt.Errorf("loading cursor %q: %w", s.CursorName, err)
	}
	return saved, ok, nil
}

// SaveCursor saves cursor. Call it only once what it covers was appended.
func (s Store) SaveCursor(ctx context.Context, cursor string) error {
	if err := s.Cursors.Save(ctx, s.CursorName, cursor); err != nil {
		return fmt.Errorf("saving cursor %q: %w", s.CursorName, err)
	}
	return nil
}

// DeadLetter keeps raw, which could not be used, with the reason. A reason
// that names the input and its problem only (no page, no attempt) makes the
// same bad input read again the same dead letter.
func (s Store) DeadLetter(ctx context.Context, reason string, raw []byte) error {
	if err := s.Sink.DeadLetter(ctx, domain.NewDeadLetter(s.Platform, reason, raw, s.Now())); err != nil {
		return fmt.Errorf("keeping a dead letter: %w", err)
	}
	return nil
}

// Logger is a poller's logger: nil discards, and every record names the
// platform and the poller.
func Logger(l *slog.Logger, platform, poller string) *slog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With(slog.String("platform", platform), slog.String("poller", poller))
}
