package clickhouse_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/projections"
	"github.com/loquat-dev/loquat/projections/storetest"
)

// runner is a projector over a feed that a test can stop at any moment, as
// a crash would: unlike storetest.Feed.Project it does not insist on
// finishing.
type runner struct {
	p      *projections.Projector
	cancel context.CancelFunc
	done   chan error
	end    eventlog.Positions
	// registryEnd is where the registry topic ends.
	registryEnd eventlog.Positions
}

// startRunner starts a projector on the store (resuming from its
// checkpoint) and delivers the whole feed to it, from the first event, as a
// restarted subscriber would redeliver; the projector skips what the store
// has committed.
func startRunner(t testing.TB, store projections.Writer, f storetest.Feed, cfg projections.ProjectorConfig) *runner {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	registryEnd := eventlog.Positions{0: int64(len(f.Registry))}
	cfg.RegistryEnd = func(context.Context) (eventlog.Positions, error) { return registryEnd, nil }
	p, err := projections.NewProjector(ctx, store, cfg, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	r := &runner{p: p, cancel: cancel, done: make(chan error, 1), end: eventlog.Positions{0: int64(len(f.Events))}, registryEnd: registryEnd}
	go func() { r.done <- p.Run(ctx) }()
	go deliver(ctx, f.Registry, p.HandleRegistry)
	go deliver(ctx, f.Events, p.Handle)
	return r
}

func deliver(ctx context.Context, events []domain.Event, handle func(*message.Message) error) {
	for i, e := range events {
		msg, err := eventlog.NewMessage(e)
		if err != nil {
			panic(err)
		}
		eventlog.SetPosition(msg, eventlog.Position{Partition: 0, Offset: int64(i) + 1})
		msg.SetContext(ctx)
		if handle(msg) != nil {
			return
		}
	}
}

// stop stops the projector (a crash, if it was mid-commit) and waits for it.
func (r *runner) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("projector: %v", err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("projector did not stop")
	}
}

// finish waits until the whole feed is committed, then stops the projector.
func (r *runner) finish(t testing.TB, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.p.WaitFor(ctx, r.end); err != nil {
		t.Fatalf("%v (last commit error: %v)", err, r.p.Healthy())
	}
	if err := r.p.WaitForRegistry(ctx, r.registryEnd); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
}
