package polling

// StateMemory remembers the highest-ranked state seen per order, for at
// most max orders: when full it forgets the order remembered first. S is
// how the platform states where an order is in its life (a state name, a
// status code). It is not safe for concurrent use; a poller uses it from
// its loop's steps, which never overlap.
type StateMemory[S any] struct {
	max  int
	rank func(S) int
	seen map[string]S
	fifo []string // ring of remembered order ids, oldest at next
	next int
}

// NewStateMemory remembers up to max orders (at least 1); rank orders the
// states along an order's life.
func NewStateMemory[S any](max int, rank func(S) int) *StateMemory[S] {
	return &StateMemory[S]{max: max, rank: rank, seen: make(map[string]S)}
}

// Observe records state for order and reports the state already seen when
// the new one ranks lower (a step backwards, not recorded).
func (m *StateMemory[S]) Observe(order string, state S) (earlier S, backwards bool) {
	if seen, ok := m.seen[order]; ok {
		if m.rank(state) < m.rank(seen) {
			return seen, true
		}
		m.seen[order] = state
		return earlier, false
	}
	if len(m.fifo) < m.max {
		m.fifo = append(m.fifo, order)
	} else {
		delete(m.seen, m.fifo[m.next])
		m.fifo[m.next] = order
		m.next = (m.next + 1) % m.max
	}
	m.seen[order] = state
	return earlier, false
}
