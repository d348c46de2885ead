package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/eventlog"
)

// ProjectorConfig configures a Projector.
type ProjectorConfig struct {
	// Consumer names the projector's checkpoint in the store. Default "projector".
	Consumer string
	// MaxBatch is the most events one store transaction takes. Default 5000.
	MaxBatch int
	// QueueSize is how many acked events may wait for a batch; a full queue
	// holds the subscriber back (back-pressure). Default 2*MaxBatch.
	QueueSize int
	// RegistryPreloaded skips registry events: a rebuild loads the whole
	// registry first, so every order is attributed with the corrected history.
	RegistryPreloaded bool
	// RetryBackoff is the first wait after a failed commit; it doubles up to
	// a minute. The batch is kept and retried until it commits. Default 100ms.
	RetryBackoff time.Duration
	// OnCommit, if set, is called after each committed batch (metrics).
	OnCommit func(CommitStats)
}

func (c *ProjectorConfig) setDefaults() {
	if c.Consumer == "" {
		c.Consumer = "projector"
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 5000
	}
	if c.QueueSize == 0 {
		c.QueueSize = 2 * c.MaxBatch
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 100 * time.Millisecond
	}
}

// Validate reports every problem at once.
func (c ProjectorConfig) Validate() error {
	var errs []error
	if c.MaxBatch < 0 || c.QueueSize < 0 || c.RetryBackoff < 0 {
		errs = append(errs, errors.New("projector: MaxBatch, QueueSize and RetryBackoff must not be negative"))
	}
	return errors.Join(errs...)
}

// CommitStats describes one committed batch.
type CommitStats struct {
	Events    int
	Skipped   int // redeliveries at or before the checkpoint, and undecodable messages
	Lines     int
	Positions eventlog.Positions
	Took      time.Duration
}

// Projector maintains the read model from the event log. Its Handle is a
// Watermill handler that only queues a message; Run takes what is queued in
// batches, attributes them and commits each batch together with the log
// positions it covers. Acking before the commit is safe because the store's
// checkpoint, not the log's consumer offset, is the position of record: on
// start the subscriber is moved to ResumeAfter, and redelivered messages at
// or before the checkpoint are skipped. Duplicate events (the same platform
// message sent twice) are caught by the line states.
type Projector struct {
	cfg    ProjectorConfig
	store  Writer
	logger *slog.Logger
	queue  chan *message.Message

	registry *domain.Registry // owned by Run

	mu        sync.Mutex
	committed eventlog.Positions
	advanced  chan struct{} // closed and replaced on every commit
	healthy   error
}

// NewProjector loads the store's registry and checkpoint.
func NewProjector(ctx context.Context, store Writer, cfg ProjectorConfig, logger *slog.Logger) (*Projector, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	reg, err := store.LoadRegistry(ctx)
	if err != nil {
		return nil, fmt.Errorf("projector: load registry: %w", err)
	}
	cp, err := store.Checkpoint(ctx, cfg.Consumer)
	if err != nil {
		return nil, fmt.Errorf("projector: load checkpoint: %w", err)
	}
	return &Projector{
		cfg:       cfg,
		store:     store,
		logger:    logger.With("consumer", cfg.Consumer),
		queue:     make(chan *message.Message, cfg.QueueSize),
		registry:  reg,
		committed: cp,
		advanced:  make(chan struct{}),
	}, nil
}

// ResumeAfter is where the log subscriber must start: the store's checkpoint.
func (p *Projector) ResumeAfter() eventlog.Positions { return p.Committed() }

// Committed returns the positions of the last committed batch.
func (p *Projector) Committed() eventlog.Positions {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.committed.Clone()
}

// Healthy returns the last commit error, nil once a commit succeeds.
func (p *Projector) Healthy() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healthy
}

// Handle queues a message for the next batch (a Watermill NoPublishHandlerFunc).
func (p *Projector) Handle(msg *message.Message) error {
	select {
	case p.queue <- msg:
		return nil
	case <-msg.Context().Done():
		return msg.Context().Err()
	}
}

// WaitFor blocks until the committed positions cover target.
func (p *Projector) WaitFor(ctx context.Context, target eventlog.Positions) error {
	for {
		p.mu.Lock()
		done := p.committed.Covers(target)
		ch := p.advanced
		p.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("projector at %v, waiting for %v: %w", p.Committed(), target, ctx.Err())
		}
	}
}

// Run projects queued messages until ctx ends. A batch that fails to commit
// is retried with backoff and never dropped.
func (p *Projector) Run(ctx context.Context) error {
	for {
		var first *message.Message
		select {
		case first = <-p.queue:
		case <-ctx.Done():
			return nil
		}
		msgs := []*message.Message{first}
	drain:
		for len(msgs) < p.cfg.MaxBatch {
			select {
			case m := <-p.queue:
				msgs = append(msgs, m)
			default:
				break drain
			}
		}
		if err := p.project(ctx, msgs); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

func (p *Projector) project(ctx context.Context, msgs []*message.Message) error {
	start := time.Now()
	backoff := p.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		stats, err := p.projectOnce(ctx, msgs)
		if err == nil {
			stats.Took = time.Since(start)
			p.mu.Lock()
			p.healthy = nil
			p.mu.Unlock()
			if p.cfg.OnCommit != nil {
				p.cfg.OnCommit(stats)
			}
			return nil
		}
		p.mu.Lock()
		p.healthy = err
		p.mu.Unlock()
		p.logger.Error("projector batch failed; retrying", "attempt", attempt, "events", len(msgs), "backoff", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// decoded is a message of the batch that is new to the store.
type decoded struct {
	pos   eventlog.Position
	event domain.Event
}

func (p *Projector) projectOnce(ctx context.Context, msgs []*message.Message) (CommitStats, error) {
	committed := p.Committed()
	positions := committed.Clone()
	stats := CommitStats{}
	var events []decoded
	var bad []domain.DeadLetter
	for _, msg := range msgs {
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			return stats, err // a subscriber bug, not bad data: do not skip silently
		}
		if pos.Offset <= positions[pos.Partition] {
			stats.Skipped++ // redelivered: already in the store
			continue
		}
		positions[pos.Partition] = pos.Offset
		e, err := eventlog.DecodeMessage(msg)
		if err == nil {
			err = e.Validate()
		}
		if err != nil {
			stats.Skipped++
			bad = append(bad, domain.NewDeadLetter("projector", fmt.Sprintf("log %d/%d event %s: %v", pos.Partition, pos.Offset, msg.UUID, err), msg.Payload, time.Now()))
			continue
		}
		events = append(events, decoded{pos: pos, event: e})
	}
	if len(bad) > 0 {
		if err := p.store.PutDeadLetters(ctx, bad); err != nil {
			return stats, fmt.Errorf("store undecodable events as dead letters: %w", err)
		}
	}
	if len(positions) == len(committed) && positions.Covers(committed) && committed.Covers(positions) {
		return stats, nil // nothing new
	}

	// The registry is applied as events go; work on a copy so a failed commit
	// can be retried from the same starting point.
	reg := p.registry
	registryChanged := false
	b := &Batch{Consumer: p.cfg.Consumer, Positions: positions}

	lines, err := p.loadLines(ctx, events)
	if err != nil {
		return stats, err
	}
	income, err := p.knownIncome(ctx, events)
	if err != nil {
		return stats, err
	}
	touched := map[domain.LineKey]bool{}
	var order []domain.LineKey
	line := func(k domain.LineKey) *lineWork {
		w := lines[k]
		if w == nil {
			w = &lineWork{state: domain.LineState{Key: k}}
			lines[k] = w
		}
		return w
	}
	touch := func(k domain.LineKey, changed bool) {
		if changed && !touched[k] {
			touched[k] = true
			order = append(order, k)
		}
	}
	for _, d := range events {
		stats.Events++
		switch e := d.event.(type) {
		case *domain.OrderPaid:
			for _, l := range e.Lines {
				k := domain.LineKey{Platform: e.Platform, OrderID: e.OrderID, LineID: l.LineID}
				listing := reg.ListingAt(e.Platform, l.SKUID, e.CreatedAt)
				pay := domain.LinePayment{EventID: e.ID(), CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, BuyerRef: e.BuyerRef, PaidLine: l}
				touch(k, line(k).state.ApplyPayment(pay, listing))
			}
		case *domain.RefundSucceeded:
			k := domain.LineKey{Platform: e.Platform, OrderID: e.OrderID, LineID: e.LineID}
			touch(k, line(k).state.ApplyRefund(domain.LineRefund{ID: e.ID(), AmountFen: e.AmountFen, At: e.RefundedAt}))
		case *domain.OrderCancelled:
			if !e.WasPaid {
				continue
			}
			for _, l := range e.Lines {
				k := domain.LineKey{Platform: e.Platform, OrderID: e.OrderID, LineID: l.LineID}
				touch(k, line(k).state.ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt}))
			}
		case *domain.IncomeRecorded:
			if id := e.ID(); !income[id] {
				income[id] = true
				b.Income = append(b.Income, IncomeRecord{EventID: id, IncomeRecorded: *e})
			}
		case *domain.OrderCreated, *domain.OrderShipped, *domain.OrderCompleted:
			// Lifecycle facts without money: kept in the log, no figure changes.
		default:
			if d.event.Type().IsRegistry() {
				if p.cfg.RegistryPreloaded {
					continue
				}
				if !registryChanged {
					reg = cloneRegistry(reg)
					registryChanged = true
				}
				reg.Apply(d.event)
				b.Registry = append(b.Registry, d.event)
			}
		}
	}
	for _, k := range order {
		w := lines[k]
		after := LedgerRows(&w.state)
		retract, add := diffLedger(w.before, after)
		b.Lines = append(b.Lines, LineChange{State: w.state, Retract: retract, Add: add})
	}
	stats.Lines = len(b.Lines)
	stats.Positions = positions

	if err := p.store.Commit(ctx, b); err != nil {
		return stats, fmt.Errorf("commit batch of %d events up to %v: %w", len(events), positions, err)
	}
	p.registry = reg
	p.mu.Lock()
	p.committed = positions
	close(p.advanced)
	p.advanced = make(chan struct{})
	p.mu.Unlock()
	return stats, nil
}

// lineWork is a line's state being changed by a batch, and its rows before.
type lineWork struct {
	state  domain.LineState
	before []LedgerRow
}

func (p *Projector) loadLines(ctx context.Context, events []decoded) (map[domain.LineKey]*lineWork, error) {
	seen := map[OrderRef]bool{}
	var refs []OrderRef
	for _, d := range events {
		var ref OrderRef
		switch e := d.event.(type) {
		case *domain.OrderPaid:
			ref = OrderRef{e.Platform, e.OrderID}
		case *domain.RefundSucceeded:
			ref = OrderRef{e.Platform, e.OrderID}
		case *domain.OrderCancelled:
			ref = OrderRef{e.Platform, e.OrderID}
		default:
			continue
		}
		if !seen[ref] {
			seen[ref] = true
			refs = append(refs, ref)
		}
	}
	out := map[domain.LineKey]*lineWork{}
	if len(refs) == 0 {
		return out, nil
	}
	states, err := p.store.LoadLines(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("load %d orders' lines: %w", len(refs), err)
	}
	for _, st := range states {
		st := st
		out[st.Key] = &lineWork{state: st, before: LedgerRows(&st)}
	}
	return out, nil
}

func (p *Projector) knownIncome(ctx context.Context, events []decoded) (map[string]bool, error) {
	var ids []string
	for _, d := range events {
		if e, ok := d.event.(*domain.IncomeRecorded); ok {
			ids = append(ids, e.ID())
		}
	}
	if len(ids) == 0 {
		return map[string]bool{}, nil
	}
	known, err := p.store.KnownIncome(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d income records: %w", len(ids), err)
	}
	return known, nil
}

func cloneRegistry(r *domain.Registry) *domain.Registry {
	c := domain.NewRegistry()
	c.District = r.District
	for k, v := range r.Villages {
		c.Villages[k] = v
	}
	for k, v := range r.Households {
		c.Households[k] = v
	}
	for k, v := range r.Enterprises {
		c.Enterprises[k] = v
	}
	for _, l := range r.Listings() {
		c.PutListing(l)
	}
	return c
}
