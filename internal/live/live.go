// Package live tells the live stream's clients that the read model moved:
// a Hub counts the projector's commits and wakes everyone waiting for the
// next one. Notify costs the projector one allocation and a channel close,
// however many clients wait and however slow they are: clients never
// receive on a buffer the projector fills, they look at the Hub when
// woken and take the latest sequence (so a burst of commits is one wake-up).
package live

import (
	"sync"
	"sync/atomic"
)

// Hub is safe for concurrent use. The zero Hub is not usable: use NewHub.
type Hub struct {
	mu    sync.Mutex // serialises Notify and Close; readers never take it
	state atomic.Pointer[state]
	done  chan struct{}

	clients atomic.Int64
	dropped atomic.Int64
}

// state is one commit's sequence and the channel closed at the next.
type state struct {
	seq  uint64
	next chan struct{}
}

// NewHub returns a Hub at sequence 0.
func NewHub() *Hub {
	h := &Hub{done: make(chan struct{})}
	h.state.Store(&state{next: make(chan struct{})})
	return h
}

// Notify records a commit: the sequence moves on and every waiter wakes.
// It never blocks on a client (it is ProjectorConfig.OnCommit's work).
func (h *Hub) Notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.state.Load()
	h.state.Store(&state{seq: old.seq + 1, next: make(chan struct{})})
	close(old.next)
}

// Current returns the latest sequence and a channel closed at the next
// commit.
func (h *Hub) Current() (seq uint64, next <-chan struct{}) {
	s := h.state.Load()
	return s.seq, s.next
}

// Done is closed by Close: the node is shutting down, streams end.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Close ends every stream (http.Server.Shutdown waits for handlers, and a
// stream's would never return). Calling it twice is safe.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	select {
	case <-h.done:
	default:
		close(h.done)
	}
}

// Join counts a connected client; call the returned func when it leaves.
func (h *Hub) Join() (leave func()) {
	h.clients.Add(1)
	var once sync.Once
	return func() { once.Do(func() { h.clients.Add(-1) }) }
}

// Dropped counts a client dropped for not reading its stream.
func (h *Hub) Dropped() { h.dropped.Add(1) }

// Stats returns how many clients are connected and how many were
// dropped since the Hub started.
func (h *Hub) Stats() (clients, dropped int64) { return h.clients.Load(), h.dropped.Load() }
