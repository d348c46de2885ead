package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
)

// Feed projects events into a store through the real Projector, as the log
// would deliver them: registry events on the registry topic, the others as
// a single partition in the given order (duplicates and all), in batches of
// maxBatch (0: as the store prefers). Pipelining is the feed's own choice,
// whatever the store prefers.
type Feed struct {
	Registry []domain.Event
	Events   []domain.Event
	// RetryBackoff is the projector's wait after a failed commit (0: its default).
	RetryBackoff time.Duration
	// Pipeline runs the projector pipelined (PipelineOn), else serial
	// (PipelineOff).
	Pipeline bool

	// encoded holds the messages of Encode, for one Project.
	encoded *[2][]*message.Message
}

// Encode turns the events into log messages now, so that a benchmark of
// Project times the projector, not the producer's encoding. The returned
// feed can be projected once (the projector acknowledges its messages).
func (f Feed) Encode(t testing.TB) Feed {
	f.encoded = &[2][]*message.Message{messages(t, f.Registry, 0), messages(t, f.Events, 0)}
	return f
}

func (f Feed) messages(t testing.TB) (registry, events []*message.Message) {
	if f.encoded != nil {
		return f.encoded[0], f.encoded[1]
	}
	return messages(t, f.Registry, 0), messages(t, f.Events, 0)
}

func messages(t testing.TB, events []domain.Event, start int64) []*message.Message {
	t.Helper()
	out := make([]*message.Message, len(events))
	for i, e := range events {
		msg, err := eventlog.NewMessage(e)
		if err != nil {
			t.Fatal(err)
		}
		eventlog.SetPosition(msg, eventlog.Position{Partition: 0, Offset: start + int64(i) + 1})
		out[i] = msg
	}
	return out
}

// Project runs a projector over the store until every event of the feed is
// committed. Events already committed (a second call with the same feed)
// are skipped by position, as a restarted projector skips redeliveries.
func (f Feed) Project(t testing.TB, store projections.Store, maxBatch int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	registryEnd := eventlog.Positions{0: int64(len(f.Registry))}
	p, err := projections.NewProjector(ctx, store, projections.ProjectorConfig{
		MaxBatch:     maxBatch,
		RetryBackoff: f.RetryBackoff,
		Pipeline:     pipelining(f.Pipeline),
		RegistryEnd:  func(context.Context) (eventlog.Positions, error) { return registryEnd, nil },
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	registryMsgs, eventMsgs := f.messages(t)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	go func() {
		for _, msg := range registryMsgs {
			if p.HandleRegistry(msg) != nil {
				return
			}
		}
	}()
	for _, msg := range eventMsgs {
		if err := p.Handle(msg); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.WaitFor(ctx, eventlog.Positions{0: int64(len(f.Events))}); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitForRegistry(ctx, registryEnd); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := p.Healthy(); err != nil {
		t.Fatal(fmt.Errorf("projector: %w", err))
	}
}

// pipelining is the projector's Pipeline for a test that runs both ways,
// whatever the store prefers.
func pipelining(on bool) projections.Pipelining {
	if on {
		return projections.PipelineOn
	}
	return projections.PipelineOff
}
