package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// GuardConfig configures a Guard. The zero value is valid.
type GuardConfig struct {
	// Source names the input in the dead letters the guard writes, e.g.
	// "douyin", "jd" or "file:orders.csv". Default "guard".
	Source string
	// Window is the span of plausible business times. Default: from
	// domain.DefaultAcceptFrom to now plus domain.DefaultAcceptSkew.
	Window domain.AcceptWindow
	// Registry, if set, is what income records are checked against
	// (domain.CheckRegistered): income for a household or an enterprise it
	// does not hold is refused. It is only read, never changed; nil checks
	// nothing against a registry (webhooks and pollers carry no income).
	Registry *domain.Registry
	// Now is the clock the window's end moves with. Default time.Now.
	Now func() time.Time
}

func (c *GuardConfig) setDefaults() {
	if c.Source == "" {
		c.Source = "guard"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Guard is a Sink that applies the domain's input rules before the sink it
// wraps: an event that fails them (domain.CheckPlausible, and
// domain.CheckRegistered with a Registry) is dead-lettered with its reason
// and its JSON; the rest are appended in one call, in order. Every input
// path — file import, webhooks, pollers — writes through one, so the rules
// hold whatever the source. Safe for concurrent use if the wrapped sink is.
type Guard struct {
	sink Sink
	cfg  GuardConfig
}

// NewGuard wraps sink.
func NewGuard(sink Sink, cfg GuardConfig) (*Guard, error) {
	if sink == nil {
		return nil, errors.New("guard: nil sink")
	}
	cfg.setDefaults()
	if err := cfg.Window.Validate(); err != nil {
		return nil, fmt.Errorf("guard: %w", err)
	}
	return &Guard{sink: sink, cfg: cfg}, nil
}

// Check returns why e must not be appended, or nil. Importers call it per
// row, so a rejection names the row; Append calls it for every event.
func (g *Guard) Check(e domain.Event) error {
	err := domain.CheckPlausible(e, g.cfg.Now(), g.cfg.Window)
	if g.cfg.Registry != nil {
		err = errors.Join(err, domain.CheckRegistered(e, g.cfg.Registry))
	}
	return err
}

// Append dead-letters the events that fail Check and appends the others to
// the wrapped sink. It returns nil when both are durable: a poller may then
// move its cursor past the rejected events, which stay in the dead letters.
func (g *Guard) Append(ctx context.Context, events ...domain.Event) error {
	pass := events[:0:0]
	for _, e := range events {
		err := g.Check(e)
		if err == nil {
			pass = append(pass, e)
			continue
		}
		if err := g.reject(ctx, e, err); err != nil {
			return err
		}
	}
	if len(pass) == 0 {
		return nil
	}
	return g.sink.Append(ctx, pass...)
}

// DeadLetter passes dl on to the wrapped sink.
func (g *Guard) DeadLetter(ctx context.Context, dl domain.DeadLetter) error {
	return g.sink.DeadLetter(ctx, dl)
}

// guardedEvent is a refused event's raw form in its dead letter.
type guardedEvent struct {
	Type    domain.EventType `json:"type"`
	ID      string           `json:"id"`
	Payload json.RawMessage  `json:"payload"`
}

func (g *Guard) reject(ctx context.Context, e domain.Event, why error) error {
	payload, err := domain.MarshalEvent(e)
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	raw, err := json.Marshal(guardedEvent{Type: e.Type(), ID: e.ID(), Payload: payload})
	if err != nil {
		return fmt.Errorf("guard: %w", err)
	}
	reason := fmt.Sprintf("%s %s: %v", e.Type(), e.ID(), flatten(why))
	// The dead letter's id derives from source, reason and bytes: the same
	// event refused again (a poller's retry, a re-push) is kept once. The
	// reason holds no clock reading for that reason.
	if err := g.sink.DeadLetter(ctx, domain.NewDeadLetter(g.cfg.Source, reason, raw, g.cfg.Now())); err != nil {
		return fmt.Errorf("guard: dead-letter %s %s: %w", e.Type(), e.ID(), err)
	}
	return nil
}

// flatten writes a joined error on one line.
func flatten(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
