package ingesttest

import (
	"context"
	"net/http"
	"sync"
)

// Killer cancels a poller's context after a number of requests, before or
// after the platform answers the last one: a crash between pages, or during
// one. The zero Killer is disarmed.
type Killer struct {
	mu     sync.Mutex
	left   int
	early  bool
	cancel context.CancelFunc
}

// Arm makes the after-th request from now call cancel, as it arrives when
// early, else once it was answered.
func (k *Killer) Arm(after int, early bool, cancel context.CancelFunc) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left, k.early, k.cancel = after, early, cancel
}

// Disarm cancels nothing more.
func (k *Killer) Disarm() { k.Arm(0, false, nil) }

// due counts a request and returns the cancel to call when it is the one
// to kill at.
func (k *Killer) due(early bool) context.CancelFunc {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.cancel == nil || k.early != early {
		return nil
	}
	if k.left--; k.left > 0 {
		return nil
	}
	c := k.cancel
	k.cancel = nil
	return c
}

// Wrap is h with the kills.
func (k *Killer) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := k.due(true); c != nil {
			c()
		}
		h.ServeHTTP(w, r)
		if c := k.due(false); c != nil {
			c()
		}
	})
}
