package polling

import (
	"net/http"
	"sync"
	"time"
)

// MaxClockBehind bounds the platform clock lag a poller believes: beyond
// it the answer's Date is taken for a proxy's or a simulator's, not the
// platform's (a platform refuses requests whose timestamp is more than a
// few minutes off its clock: JD 6, Kuaishou 10).
const MaxClockBehind = 10 * time.Minute

// PlatformClock is what the platform's answers say of its clock: how far
// it was last seen behind ours, from their Date header. Windows end that
// much earlier, so that none ends in the platform's future: an order
// changed there after the window was read would otherwise fall behind the
// cursor. A platform ahead of us needs nothing: our windows end in its
// past. It is safe for concurrent use; the zero PlatformClock is ready and
// says 0.
type PlatformClock struct {
	mu     sync.Mutex
	behind time.Duration
}

// Observe reads the Date header of an answer received at ours (our clock).
// Date has whole seconds, so the platform's time is taken at the end of its
// second: a lag under a second is not seen, and none is overstated.
func (c *PlatformClock) Observe(h http.Header, ours time.Time) {
	date, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	behind := ours.Sub(date.Add(time.Second))
	if behind < 0 || behind > MaxClockBehind {
		behind = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.behind = behind
}

// Behind is how far the platform's clock was last seen behind ours.
func (c *PlatformClock) Behind() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.behind
}
