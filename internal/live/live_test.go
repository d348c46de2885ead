package live_test

import (
	"testing"

	"github.com/loquat-dev/loquat/internal/live"
)

// TestHub: Notify moves the sequence and wakes every waiter at once, a
// burst of commits is one wake-up with the latest sequence, and Notify
// does not wait for anyone (no waiter reads here at all).
func TestHub(t *testing.T) {
	h := live.NewHub()
	seq, next := h.Current()
	if seq != 0 {
		t.Fatalf("new hub at %d", seq)
	}
	for range 100 {
		h.Notify() // nobody receives: must not block
	}
	select {
	case <-next:
	default:
		t.Fatal("the waiter of sequence 0 was not woken")
	}
	seq, next = h.Current()
	if seq != 100 {
		t.Fatalf("after 100 commits at %d", seq)
	}
	select {
	case <-next:
		t.Fatal("woken with no commit since")
	default:
	}
	leave := h.Join()
	leave()
	leave() // twice: counted once
	h.Dropped()
	if clients, dropped := h.Stats(); clients != 0 || dropped != 1 {
		t.Errorf("clients %d dropped %d, want 0 and 1", clients, dropped)
	}
	h.Close()
	h.Close() // twice is safe
	select {
	case <-h.Done():
	default:
		t.Fatal("Done not closed")
	}
}
