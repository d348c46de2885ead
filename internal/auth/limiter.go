package auth

import (
	"sync"
	"time"
)

// maxLimiterKeys is when the limiter drops expired entries, so a flood of
// made-up account names keeps only a window's worth in memory.
const maxLimiterKeys = 100_000

// limiter counts failed sign-ins per key (an account, an address) within
// a fixed window that starts at the first failure. It is per process.
type limiter struct {
	max    int
	window time.Duration

	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string]*failures{}}
}

// allowed reports whether none of keys is locked out.
func (l *limiter) allowed(now time.Time, keys ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		f := l.fails[k]
		if f != nil && now.Sub(f.since) < l.window && f.n >= l.max {
			return false
		}
	}
	return true
}

// fail counts a failure against every key.
func (l *limiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		f := l.fails[k]
		if f == nil || now.Sub(f.since) >= l.window {
			if f == nil && len(l.fails) >= maxLimiterKeys {
				l.prune(now)
			}
			f = &failures{since: now}
			l.fails[k] = f
		}
		f.n++
	}
}

func (l *limiter) prune(now time.Time) {
	for k, f := range l.fails {
		if now.Sub(f.since) >= l.window {
			delete(l.fails, k)
		}
	}
}

// reset forgets the failures of keys after a successful sign-in (the
// account's only: an address's count survives its own accounts' sign-ins,
// or a guesser could reset it with an account of its own).
func (l *limiter) reset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.fails, k)
	}
}
