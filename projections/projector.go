package projections

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
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
	// MaxBatch is the most events one store transaction takes. Default:
	// the store's preference (a BatchingPreferrer's MaxBatch), else 5000.
	MaxBatch int
	// QueueSize is how many acked events may wait for a batch; a full queue
	// holds the subscriber back (back-pressure). Default 2*MaxBatch.
	QueueSize int
	// RegistryQueueSize is the same for registry events. Default 1000.
	RegistryQueueSize int
	// RegistryEnd returns the end of eventlog.TopicRegistry. Before the
	// projector attributes a batch it applies the registry up to that end, so
	// an order is never attributed with less of the registry than was in the
	// log when it was projected, however the log is partitioned. Nil: the
	// registry messages already queued are applied, without waiting for more.
	RegistryEnd func(ctx context.Context) (eventlog.Positions, error)
	// RetryBackoff is the first wait after a failed commit; it doubles up to
	// a minute. The batch is kept and retried until it commits. Default 100ms.
	RetryBackoff time.Duration
	// Pipeline decides whether the projector prepares the next batch while
	// one commits (see Run). Default PipelineAsStore: as the store
	// prefers (a BatchingPreferrer's Pipeline), else off.
	Pipeline Pipelining
	// OnCommit, if set, is called after each committed batch (metrics).
	OnCommit func(CommitStats)
}

// Pipelining is ProjectorConfig.Pipeline.
type Pipelining int

const (
	// PipelineAsStore follows the store's preference (BatchingPreferrer),
	// off for a store without one.
	PipelineAsStore Pipelining = iota
	// PipelineOn prepares the next batch while one commits.
	PipelineOn
	// PipelineOff prepares a batch only after the previous one committed.
	PipelineOff
)

// setDefaults fills what the config leaves open, from the store's
// preferences where it has them.
func (c *ProjectorConfig) setDefaults(store Batching) {
	if c.Consumer == "" {
		c.Consumer = "projector"
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = store.MaxBatch
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = 5000
	}
	if c.Pipeline == PipelineAsStore {
		c.Pipeline = PipelineOff
		if store.Pipeline {
			c.Pipeline = PipelineOn
		}
	}
	if c.QueueSize == 0 {
		c.QueueSize = 2 * c.MaxBatch
	}
	if c.RegistryQueueSize == 0 {
		c.RegistryQueueSize = 1000
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
	if c.Pipeline < PipelineAsStore || c.Pipeline > PipelineOff {
		errs = append(errs, fmt.Errorf("projector: Pipeline %d is none of PipelineAsStore, PipelineOn, PipelineOff", c.Pipeline))
	}
	return errors.Join(errs...)
}

// CommitStats describes one committed batch.
type CommitStats struct {
	Events    int
	Skipped   int // redeliveries at or before the checkpoint, and undecodable messages
	Lines     int
	Conflicts int // rejected versions recorded (see domain.Conflict)
	Positions eventlog.Positions
	Took      time.Duration
}

// Projector maintains the read model from the event log. Its Handle (for
// eventlog.TopicEvents) and HandleRegistry (for eventlog.TopicRegistry) are
// Watermill handlers that only queue a message; Run takes what is queued in
// batches, applies the registry to its end, attributes the events and commits
// each batch together with the log positions it covers. Acking before the commit is safe because the store's
// checkpoint, not the log's consumer offset, is the position of record: on
// start the subscriber is moved to ResumeAfter, and redelivered messages at
// or before the checkpoint are skipped. Duplicate events (the same platform
// message sent twice) are caught by the line states.
type Projector struct {
	cfg   ProjectorConfig
	store Writer
	// needOrders: the store is an OrderChangesNeeder that needs
	// Batch.Orders; the per-order bookkeeping is done only then.
	needOrders bool
	logger     *slog.Logger
	queue      chan *message.Message
	// registryQueue carries eventlog.TopicRegistry, read from its start on
	// every run: registry events are idempotent upserts, so replaying them
	// ends in the registry's final state.
	registryQueue chan *message.Message

	registry        *domain.Registry   // owned by Run
	registryApplied eventlog.Positions // how far registryQueue was applied; owned by Run
	pendingRegistry []*message.Message // taken from registryQueue, not yet committed; owned by Run
	registryTaken   int                // how many of pendingRegistry prepared batches apply; owned by Run

	mu                sync.Mutex
	committed         eventlog.Positions
	registryCommitted eventlog.Positions
	advanced          chan struct{} // closed and replaced on every commit
	healthy           error
}

// Config returns the configuration in effect: what NewProjector was given,
// with the defaults and the store's preferences filled in.
func (p *Projector) Config() ProjectorConfig { return p.cfg }

// NewProjector loads the store's registry and checkpoint. It discovers
// the store's optional capabilities (store.go): its batching preferences,
// whether it needs Batch.Orders, and whether it readies itself for writes
// (if so, it does that first).
func NewProjector(ctx context.Context, store Writer, cfg ProjectorConfig, logger *slog.Logger) (*Projector, error) {
	var prefers Batching
	if bp, ok := store.(BatchingPreferrer); ok {
		prefers = bp.Batching()
	}
	cfg.setDefaults(prefers)
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.Default()
	}
	if w, ok := store.(WritesPreparer); ok {
		if err := w.PrepareWrites(ctx); err != nil {
			logger.Warn("read model not ready for writes yet; the first commit tries again", "err", err)
		}
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
		cfg:               cfg,
		store:             store,
		needOrders:        needsOrderChanges(store),
		logger:            logger.With("consumer", cfg.Consumer),
		queue:             make(chan *message.Message, cfg.QueueSize),
		registryQueue:     make(chan *message.Message, cfg.RegistryQueueSize),
		registry:          reg,
		registryApplied:   eventlog.Positions{},
		registryCommitted: eventlog.Positions{},
		committed:         cp,
		advanced:          make(chan struct{}),
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

// HandleRegistry queues a registry message (a Watermill NoPublishHandlerFunc
// for a subscription to eventlog.TopicRegistry from its start).
func (p *Projector) HandleRegistry(msg *message.Message) error {
	select {
	case p.registryQueue <- msg:
		return nil
	case <-msg.Context().Done():
		return msg.Context().Err()
	}
}

// WaitForRegistry blocks until the registry is applied and committed up to target.
func (p *Projector) WaitForRegistry(ctx context.Context, target eventlog.Positions) error {
	return p.waitUntil(ctx, "registry", func() eventlog.Positions { return p.registryCommitted }, target)
}

// WaitFor blocks until the committed positions cover target.
func (p *Projector) WaitFor(ctx context.Context, target eventlog.Positions) error {
	return p.waitUntil(ctx, "events", func() eventlog.Positions { return p.committed }, target)
}

// waitUntil waits for a commit after which reached() covers target; reached
// is called with p.mu held.
func (p *Projector) waitUntil(ctx context.Context, what string, reached func() eventlog.Positions, target eventlog.Positions) error {
	for {
		p.mu.Lock()
		at := reached().Clone()
		ch := p.advanced
		p.mu.Unlock()
		if at.Covers(target) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("projector %s at %v, waiting for %v: %w", what, at, target, ctx.Err())
		}
	}
}

// Run projects queued messages until ctx ends. A batch that fails to commit
// is retried with backoff and never dropped.
//
// With PipelineOn, while a batch commits, Run prepares the next one on top of it — decodes
// it, attributes it against the lines as the committing batch leaves them
// — so that the store's write (the server's time, for ClickHouse) and the
// projector's own work overlap. Commits stay one at a time and in order; if
// one fails, the batch prepared on top of it is thrown away, and both are
// prepared again from what the store holds.
func (p *Projector) Run(ctx context.Context) error {
	var flight *inflight
	defer func() {
		if flight != nil {
			// Its outcome does not matter now: a new run resumes from the
			// store's checkpoint.
			<-flight.done
		}
	}()
	for {
		var msgs []*message.Message
		var landed <-chan error
		if flight != nil {
			landed = flight.done
		}
		select {
		case first := <-p.queue:
			msgs = append(msgs, first)
		case reg := <-p.registryQueue:
			// A registry load while no orders flow is applied at once, so
			// the API shows it; put it back for the catch-up to take.
			p.pendingRegistry = append(p.pendingRegistry, reg)
		case err := <-landed:
			f := flight
			flight = nil
			if err := p.land(ctx, f, err); err != nil {
				return nil // ctx ended
			}
			continue
		case <-ctx.Done():
			return nil
		}
	drain:
		for len(msgs) < p.cfg.MaxBatch {
			select {
			case m := <-p.queue:
				msgs = append(msgs, m)
			default:
				break drain
			}
		}
		if p.cfg.Pipeline != PipelineOn {
			if err := p.project(ctx, msgs); err != nil {
				return nil // ctx ended
			}
			continue
		}
		var next *prepared
		var prepErr error
		if flight != nil {
			next, prepErr = p.prepare(ctx, msgs, flight.batch)
			f := flight
			flight = nil
			err := <-f.done
			if err := p.land(ctx, f, err); err != nil {
				return nil // ctx ended
			}
			if err != nil {
				next = nil // prepared on top of a batch that failed
			}
		} else {
			next, prepErr = p.prepare(ctx, msgs, nil)
		}
		if next == nil {
			if ctx.Err() != nil {
				return nil
			}
			if prepErr != nil {
				p.logger.Warn("projector could not prepare a batch; retrying", "events", len(msgs), "err", prepErr)
			}
			p.registryTaken = 0
			if err := p.project(ctx, msgs); err != nil {
				return nil // ctx ended
			}
			continue
		}
		flight = p.startCommit(ctx, next)
	}
}

// inflight is a prepared batch whose commit runs.
type inflight struct {
	batch *prepared
	done  chan error
}

// startCommit commits a prepared batch in the background.
func (p *Projector) startCommit(ctx context.Context, pr *prepared) *inflight {
	f := &inflight{batch: pr, done: make(chan error, 1)}
	if pr.batch == nil {
		f.done <- nil
		return f
	}
	go func() { f.done <- p.commit(ctx, pr) }()
	return f
}

// commit writes a prepared batch to the store.
func (p *Projector) commit(ctx context.Context, pr *prepared) error {
	if err := p.store.Commit(ctx, pr.batch); err != nil {
		return fmt.Errorf("commit batch of %d events up to %v: %w", pr.stats.Events, pr.positions, err)
	}
	return nil
}

// land ends an in-flight commit: on success the projector advances past
// it; on failure every prepared batch is dropped and the failed one is
// prepared and committed again, with backoff, until it lands. It returns an
// error only when ctx ends first.
func (p *Projector) land(ctx context.Context, f *inflight, err error) error {
	if err == nil {
		p.finish(f.batch)
		return nil
	}
	p.registryTaken = 0
	p.mu.Lock()
	p.healthy = err
	p.mu.Unlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	p.logger.Error("projector batch failed; retrying", "events", len(f.batch.msgs), "backoff", p.cfg.RetryBackoff, "err", err)
	select {
	case <-time.After(p.cfg.RetryBackoff):
	case <-ctx.Done():
		return ctx.Err()
	}
	return p.project(ctx, f.batch.msgs)
}

// project prepares and commits a batch, retrying with backoff until it
// commits; it returns an error only when ctx ends first.
func (p *Projector) project(ctx context.Context, msgs []*message.Message) error {
	backoff := p.cfg.RetryBackoff
	for attempt := 1; ; attempt++ {
		err := p.projectOnce(ctx, msgs)
		if err == nil {
			return nil
		}
		p.registryTaken = 0
		p.mu.Lock()
		p.healthy = err
		p.mu.Unlock()
		if ctx.Err() != nil {
			// Stopped mid-batch: the commit was cut short on purpose, and
			// the batch is projected again after the next start.
			return ctx.Err()
		}
		p.logger.Error("projector batch failed; retrying", "attempt", attempt, "events", len(msgs), "backoff", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, time.Minute)
	}
}

// projectOnce prepares a batch on the committed state and commits it.
func (p *Projector) projectOnce(ctx context.Context, msgs []*message.Message) error {
	pr, err := p.prepare(ctx, msgs, nil)
	if err != nil {
		return err
	}
	if pr.batch != nil {
		if err := p.commit(ctx, pr); err != nil {
			return err
		}
	}
	p.finish(pr)
	return nil
}

// finish records a committed batch.
func (p *Projector) finish(pr *prepared) {
	p.advance(pr.reg, pr.registryApplied, pr.positions, pr.registryTaken)
	pr.stats.Took = time.Since(pr.start)
	p.mu.Lock()
	p.healthy = nil
	p.mu.Unlock()
	if p.cfg.OnCommit != nil {
		p.cfg.OnCommit(pr.stats)
	}
}

// prepared is a batch built on the state after the batch before it (the
// committed one, or one in flight), and the projector's state after it.
type prepared struct {
	msgs            []*message.Message
	batch           *Batch // nil: nothing to write, only to advance
	stats           CommitStats
	start           time.Time
	reg             *domain.Registry
	registryApplied eventlog.Positions
	registryTaken   int
	positions       eventlog.Positions
	// orders and income are what the batch read and wrote: every line of
	// its orders (with their ledger rows before and after), of which the
	// touched ones are what the batch prepared on top of it reads before
	// the store has them.
	orders map[OrderRef]*orderWork
	income map[string]domain.IncomeRecorded
	// corrections are the batch's applied corrections (corrections.go).
	corrections []CorrectionRecord
}

// prepare decodes a batch, applies the registry to its end and attributes
// the batch's events on the state after base (nil: the committed state).
func (p *Projector) prepare(ctx context.Context, msgs []*message.Message, base *prepared) (*prepared, error) {
	committed, reg0, applied0 := p.Committed(), p.registry, p.registryApplied
	if base != nil {
		committed, reg0, applied0 = base.positions, base.reg, base.registryApplied
	}
	pr := &prepared{msgs: msgs, start: time.Now()}
	events, positions, bad, err := decodeBatch(msgs, committed, &pr.stats)
	if err != nil {
		return nil, err
	}
	// The registry first, to its end: every order of the batch is
	// attributed with all of the registry that was in the log by now.
	if err := p.takeRegistry(ctx); err != nil {
		return nil, err
	}
	b := &Batch{Consumer: p.cfg.Consumer, Positions: positions}
	reg, registryApplied, taken, err := p.applyRegistry(b, &bad, reg0, applied0)
	if err != nil {
		return nil, err
	}
	if len(bad) > 0 {
		if err := p.store.PutDeadLetters(ctx, bad); err != nil {
			return nil, fmt.Errorf("store undecodable events as dead letters: %w", err)
		}
	}
	pr.reg, pr.registryApplied, pr.registryTaken = reg, registryApplied, taken
	if len(b.Registry) == 0 && len(positions) == len(committed) && positions.Covers(committed) && committed.Covers(positions) {
		pr.positions = committed // nothing new
		p.registryTaken += taken
		return pr, nil
	}
	if err := p.applyEvents(ctx, reg, events, b, base, pr); err != nil {
		return nil, err
	}
	pr.stats.Events = len(events)
	pr.stats.Lines = len(b.Lines)
	pr.stats.Positions = positions
	pr.positions = positions
	pr.batch = b
	p.registryTaken += taken
	return pr, nil
}

// decoded is a message of the batch that is new to the store.
type decoded struct {
	pos   eventlog.Position
	event domain.Event
}

// decodeBatch decodes the messages after the committed positions (earlier
// ones are redeliveries, already in the store); undecodable or invalid ones
// become dead letters. It returns the positions the batch reaches.
func decodeBatch(msgs []*message.Message, committed eventlog.Positions, stats *CommitStats) ([]decoded, eventlog.Positions, []domain.DeadLetter, error) {
	positions := committed.Clone()
	fresh := make([]decodedMessage, 0, len(msgs))
	for _, msg := range msgs {
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			return nil, nil, nil, err // a subscriber bug, not bad data: do not skip silently
		}
		if pos.Offset <= positions[pos.Partition] {
			stats.Skipped++
			continue
		}
		positions[pos.Partition] = pos.Offset
		fresh = append(fresh, decodedMessage{msg: msg, pos: pos})
	}
	decodeMessages(fresh)
	events := make([]decoded, 0, len(fresh))
	var bad []domain.DeadLetter
	for _, d := range fresh {
		if d.err != nil {
			stats.Skipped++
			bad = append(bad, domain.NewDeadLetter("projector", fmt.Sprintf("log %d/%d event %s: %v", d.pos.Partition, d.pos.Offset, d.msg.UUID, d.err), d.msg.Payload, time.Now()))
			continue
		}
		events = append(events, decoded{pos: d.pos, event: d.event})
	}
	return events, positions, bad, nil
}

// decodedMessage is a message with its decoded and validated event, or the
// reason it has none.
type decodedMessage struct {
	msg   *message.Message
	pos   eventlog.Position
	event domain.Event
	err   error
}

// decodeChunk is how many messages one goroutine decodes at least: JSON
// decoding is most of a batch's preparation and messages are independent,
// so a large batch (a replay) is decoded on every CPU.
const decodeChunk = 2000

// decodeMessages decodes and validates the messages' events in place.
func decodeMessages(ms []decodedMessage) {
	decode := func(ms []decodedMessage) {
		for i := range ms {
			d := &ms[i]
			if d.event, d.err = eventlog.DecodeMessage(d.msg); d.err == nil {
				d.err = d.event.Validate()
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(ms)/decodeChunk)
	if workers <= 1 {
		decode(ms)
		return
	}
	var wg sync.WaitGroup
	per := (len(ms) + workers - 1) / workers
	for from := 0; from < len(ms); from += per {
		wg.Go(func() { decode(ms[from:min(from+per, len(ms))]) })
	}
	wg.Wait()
}

// applyRegistry applies the pending registry messages no prepared batch
// took yet to a copy of reg (so a failed commit is retried from the same
// start) and adds them to the batch. It returns the registry, how far the
// registry topic is applied, and how many pending messages it took.
func (p *Projector) applyRegistry(b *Batch, bad *[]domain.DeadLetter, reg *domain.Registry, applied eventlog.Positions) (*domain.Registry, eventlog.Positions, int, error) {
	applied = applied.Clone()
	pending := p.pendingRegistry[p.registryTaken:]
	if len(pending) == 0 {
		return reg, applied, 0, nil
	}
	reg = cloneRegistry(reg)
	for _, msg := range pending {
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			return nil, nil, 0, err
		}
		applied[pos.Partition] = max(applied[pos.Partition], pos.Offset)
		e, err := eventlog.DecodeMessage(msg)
		if err == nil {
			err = e.Validate()
		}
		if err == nil && !e.Type().IsRegistry() {
			err = fmt.Errorf("%s is not a registry event", e.Type())
		}
		if err != nil {
			*bad = append(*bad, domain.NewDeadLetter("projector", fmt.Sprintf("registry %d/%d event %s: %v", pos.Partition, pos.Offset, msg.UUID, err), msg.Payload, time.Now()))
			continue
		}
		reg.Apply(e)
		b.Registry = append(b.Registry, e)
	}
	return reg, applied, len(pending), nil
}

// applyEvents applies the batch's events to the lines and income they touch
// and adds the changes to the batch.
func (p *Projector) applyEvents(ctx context.Context, reg *domain.Registry, events []decoded, b *Batch, base, pr *prepared) error {
	cw, err := p.loadCorrections(ctx, events, base)
	if err != nil {
		return err
	}
	orders, err := p.loadLines(ctx, events, base, cw.refs)
	if err != nil {
		return err
	}
	income, err := p.knownIncome(ctx, events)
	if err != nil {
		return err
	}
	if base != nil {
		for id, in := range base.income {
			income[id] = in
		}
	}
	pr.orders, pr.income = orders, map[string]domain.IncomeRecorded{}
	var touched []*lineWork
	touch := func(w *lineWork, changed bool) {
		if changed && !w.touched {
			w.touched = true
			touched = append(touched, w)
		}
	}
	// A rejected version is recorded with where it is in the log and when
	// it was found; the same one again in the batch is the same conflict.
	detectedAt := pr.start.In(domain.ChinaTime).Truncate(time.Second)
	rejected := map[string]bool{}
	reject := func(c *domain.Conflict, pos eventlog.Position) {
		if c == nil || rejected[c.ID] {
			return
		}
		rejected[c.ID] = true
		c.Rejected.LogPosition = fmt.Sprintf("%d/%d", pos.Partition, pos.Offset)
		c.DetectedAt = detectedAt
		b.Conflicts = append(b.Conflicts, *c)
	}
	for _, d := range events {
		switch e := d.event.(type) {
		case *domain.OrderPaid:
			id, o := e.ID(), orders[OrderRef{e.Platform, e.OrderID}]
			for _, l := range e.Lines {
				listing := reg.ListingAt(e.Platform, l.SKUID, e.CreatedAt)
				pay := domain.LinePayment{EventID: id, CreatedAt: e.CreatedAt, PaidAt: e.PaidAt, BuyerRef: e.BuyerRef, PaidLine: l}
				w := o.line(l.LineID)
				changed, conflict := w.state.ApplyPayment(pay, listing)
				touch(w, changed)
				reject(conflict, d.pos)
			}
		case *domain.RefundSucceeded:
			o := orders[OrderRef{e.Platform, e.OrderID}]
			r := domain.LineRefund{ID: e.ID(), AmountFen: e.AmountFen, At: e.RefundedAt}
			if other, kept, ok := o.refundElsewhere(e.LineID, r.ID); ok {
				reject(other.state.RefundConflict(kept, e.LineID, r), d.pos)
				continue
			}
			w := o.line(e.LineID)
			changed, conflict := w.state.ApplyRefund(r)
			touch(w, changed)
			reject(conflict, d.pos)
		case *domain.OrderCancelled:
			if !e.WasPaid {
				continue
			}
			o := orders[OrderRef{e.Platform, e.OrderID}]
			for _, l := range e.Lines {
				w := o.line(l.LineID)
				changed, conflict := w.state.ApplyRefund(domain.LineRefund{ID: e.RefundID(l.LineID), AmountFen: l.AmountFen, At: e.CancelledAt})
				touch(w, changed)
				reject(conflict, d.pos)
			}
		case *domain.IncomeRecorded:
			id := e.ID()
			if kept, ok := income[id]; ok {
				reject(domain.IncomeConflict(kept, *e), d.pos)
				continue
			}
			income[id] = *e
			pr.income[id] = *e
			b.Income = append(b.Income, IncomeRecord{EventID: id, IncomeRecorded: *e})
		case *domain.CorrectionRecorded:
			if reason := p.applyCorrection(cw, e, orders, income, reg, b, touch); reason != "" {
				cw.dead = append(cw.dead, correctionDeadLetter(e, d.pos, reason))
			}
		default:
			// Lifecycle facts without money (created, shipped, completed)
			// stay in the log and change no figure; registry events belong
			// to the registry topic.
		}
	}
	pr.stats.Conflicts = len(b.Conflicts)
	pr.corrections = b.Corrections
	if len(cw.dead) > 0 {
		// Never silent: a correction that names nothing known is kept
		// with its reason, like an event that does not decode.
		if err := p.store.PutDeadLetters(ctx, cw.dead); err != nil {
			return fmt.Errorf("store corrections that do not apply as dead letters: %w", err)
		}
	}
	// The per-order bookkeeping only for a store that reads Batch.Orders.
	needOrders := p.needOrders
	var changed []*orderWork
	b.Lines = slices.Grow(b.Lines, len(touched))
	for _, w := range touched {
		w.after = LedgerRows(&w.state)
		retract, add := diffLedger(w.before, w.after)
		b.Lines = append(b.Lines, LineChange{State: w.state, Retract: retract, Add: add})
		if needOrders && (len(retract) > 0 || len(add) > 0) && !w.order.changed {
			w.order.changed = true
			changed = append(changed, w.order)
		}
	}
	if needOrders {
		b.Orders = orderChanges(changed)
	}
	return nil
}

// orderChanges lists the entries of every line of each changed order,
// before the batch and after it.
func orderChanges(orders []*orderWork) []OrderChange {
	if len(orders) == 0 {
		return nil
	}
	out := make([]OrderChange, len(orders))
	for i, o := range orders {
		slices.SortFunc(o.lines, func(a, b *lineWork) int { return cmp.Compare(a.state.Key.LineID, b.state.Key.LineID) })
		c := &out[i]
		c.Platform, c.OrderID = o.ref.Platform, o.ref.OrderID
		for _, w := range o.lines {
			c.Before = appendEntries(c.Before, w.before)
			if w.touched {
				c.After = appendEntries(c.After, w.after)
			} else {
				c.After = appendEntries(c.After, w.before)
			}
		}
	}
	return out
}

// appendEntries appends the first row of each entry of a line's rows.
func appendEntries(out, rows []LedgerRow) []LedgerRow {
	for i, r := range rows {
		if i == 0 || r.EntryID != rows[i-1].EntryID {
			out = append(out, r)
		}
	}
	return out
}

// advance records a committed batch: the registry it applied (taking the
// first taken pending registry messages) and the positions it reached.
func (p *Projector) advance(reg *domain.Registry, registryApplied, positions eventlog.Positions, taken int) {
	p.registry = reg
	p.registryApplied = registryApplied
	p.pendingRegistry = p.pendingRegistry[taken:]
	p.registryTaken -= taken
	p.mu.Lock()
	p.registryCommitted = registryApplied.Clone()
	p.committed = positions
	close(p.advanced)
	p.advanced = make(chan struct{})
	p.mu.Unlock()
}

// takeRegistry moves registry messages from the queue to pendingRegistry
// until, with those already applied, they reach the registry topic's end.
func (p *Projector) takeRegistry(ctx context.Context) error {
	var end eventlog.Positions
	if p.cfg.RegistryEnd != nil {
		var err error
		if end, err = p.cfg.RegistryEnd(ctx); err != nil {
			return fmt.Errorf("read the end of the registry: %w", err)
		}
	}
	reached := p.registryApplied.Clone()
	take := func(msg *message.Message) error {
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			return err
		}
		reached[pos.Partition] = max(reached[pos.Partition], pos.Offset)
		p.pendingRegistry = append(p.pendingRegistry, msg)
		return nil
	}
	for _, msg := range p.pendingRegistry {
		pos, err := eventlog.PositionOf(msg)
		if err != nil {
			return err
		}
		reached[pos.Partition] = max(reached[pos.Partition], pos.Offset)
	}
	warn := time.NewTimer(10 * time.Second)
	defer warn.Stop()
	for {
		select {
		case msg := <-p.registryQueue:
			if err := take(msg); err != nil {
				return err
			}
			continue
		default:
		}
		if end == nil || reached.Covers(end) {
			return nil
		}
		select {
		case msg := <-p.registryQueue:
			if err := take(msg); err != nil {
				return err
			}
		case <-warn.C:
			p.logger.Warn("still reading the registry before projecting", "reached", reached, "end", end)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// orderWork is an order's lines as a batch finds and changes them. An order
// has a few lines, found by a linear search: one map lookup per event for
// its order instead of one per line.
type orderWork struct {
	ref     OrderRef
	lines   []*lineWork
	changed bool // in Batch.Orders
}

// find returns the order's line with the id, or nil.
func (o *orderWork) find(id string) *lineWork {
	for _, w := range o.lines {
		if w.state.Key.LineID == id {
			return w
		}
	}
	return nil
}

// refundElsewhere returns the order's line other than lineID that holds
// the refund id, and the refund: a refund id names a refund of one line.
func (o *orderWork) refundElsewhere(lineID, refundID string) (*lineWork, domain.LineRefund, bool) {
	for _, w := range o.lines {
		if w.state.Key.LineID == lineID {
			continue
		}
		if r, ok := w.state.Refund(refundID); ok {
			return w, r, true
		}
	}
	return nil, domain.LineRefund{}, false
}

// line returns the order's line with the id, added empty if it is new.
func (o *orderWork) line(id string) *lineWork {
	if w := o.find(id); w != nil {
		return w
	}
	w := &lineWork{order: o, state: domain.LineState{Key: domain.LineKey{Platform: o.ref.Platform, OrderID: o.ref.OrderID, LineID: id}}}
	o.lines = append(o.lines, w)
	return w
}

// load adds a line as the batch finds it: its state and ledger rows.
func (o *orderWork) load(st domain.LineState, rows []LedgerRow) {
	o.lines = append(o.lines, &lineWork{order: o, state: st, before: rows})
}

// lineWork is a line's state being changed by a batch, and its rows before.
type lineWork struct {
	order   *orderWork
	state   domain.LineState
	before  []LedgerRow
	after   []LedgerRow // the ledger rows after the batch, once touched
	touched bool
}

// loadLines loads the state of every line of the events' orders: as the
// store holds it, or as base (a batch in flight) leaves it.
func (p *Projector) loadLines(ctx context.Context, events []decoded, base *prepared, extra []OrderRef) (map[OrderRef]*orderWork, error) {
	orders := map[OrderRef]*orderWork{}
	var refs []OrderRef
	for _, ref := range extra {
		if _, ok := orders[ref]; !ok {
			orders[ref] = &orderWork{ref: ref}
			refs = append(refs, ref)
		}
	}
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
		if _, ok := orders[ref]; !ok {
			orders[ref] = &orderWork{ref: ref}
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return orders, nil
	}
	states, err := p.store.LoadLines(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("load %d orders' lines: %w", len(refs), err)
	}
	if base != nil {
		// The store may or may not hold base's lines yet: base's states
		// are the latest either way. Copied, since the store is still
		// writing base's; their ledger rows are shared (never modified).
		for _, ref := range refs {
			if bo := base.orders[ref]; bo != nil {
				for _, w := range bo.lines {
					if w.touched {
						orders[ref].load(cloneLineState(w.state), w.after)
					}
				}
			}
		}
	}
	for _, st := range states {
		if o := orders[OrderRef{st.Key.Platform, st.Key.OrderID}]; o != nil && o.find(st.Key.LineID) == nil {
			o.load(st, LedgerRows(&st))
		}
	}
	return orders, nil
}

// knownIncome returns the stored income records among the batch's, by id.
func (p *Projector) knownIncome(ctx context.Context, events []decoded) (map[string]domain.IncomeRecorded, error) {
	var ids []string
	for _, d := range events {
		if e, ok := d.event.(*domain.IncomeRecorded); ok {
			ids = append(ids, e.ID())
		}
	}
	if len(ids) == 0 {
		return map[string]domain.IncomeRecorded{}, nil
	}
	known, err := p.store.KnownIncome(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d income records: %w", len(ids), err)
	}
	return known, nil
}

// cloneLineState copies what applying events to a state may change.
func cloneLineState(st domain.LineState) domain.LineState {
	if st.Payment != nil {
		pay := *st.Payment
		st.Payment = &pay
	}
	st.Refunds = append([]domain.LineRefund(nil), st.Refunds...)
	if len(st.Refunds) == 0 {
		st.Refunds = nil
	}
	if len(st.Corrections) > 0 {
		st.Corrections = append([]domain.LineCorrection(nil), st.Corrections...)
	}
	return st
}

func cloneRegistry(r *domain.Registry) *domain.Registry { return r.Clone() }

// needsOrderChanges reports whether the store reads Batch.Orders.
func needsOrderChanges(store Writer) bool {
	n, ok := store.(OrderChangesNeeder)
	return ok && n.NeedsOrderChanges()
}
