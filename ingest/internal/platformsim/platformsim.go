// Package platformsim is what the order-search simulators (ingest/jd/jdsim,
// ingest/kuaishou/kuaishousim) share: the count of requests and answers,
// failures asked for every Nth request, the version of an order a platform
// shows at a time, and the figures a generated order book adds up to. Each
// platform's request checks, signing, paging and answer shapes stay in its
// simulator, written from the platform's documents and independently of its
// adapter, so that a bug on either side fails a test instead of being
// shared by both.
package platformsim

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/loquat-dev/loquat/domain"
)

// Traffic counts a simulator's requests and its answers by kind (an error
// code, "ok", "500"). It is safe for concurrent use; the zero Traffic is
// ready.
type Traffic struct {
	mu       sync.Mutex
	requests int
	answered map[string]int
}

// Arrive counts a request and returns its number, 1 for the first.
func (t *Traffic) Arrive() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	return t.requests
}

// Count counts an answer of the kind.
func (t *Traffic) Count(kind string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.answered == nil {
		t.answered = map[string]int{}
	}
	t.answered[kind]++
}

// Requests is how many requests arrived, refused ones included.
func (t *Traffic) Requests() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.requests
}

// Answered returns the answers counted by kind.
func (t *Traffic) Answered() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.answered))
	maps.Copy(out, t.answered)
	return out
}

// Fail answers HTTP 500, counted as "500": a failure asked for, not one of
// the platform's own answers.
func (t *Traffic) Fail(w http.ResponseWriter) {
	t.Count("500")
	http.Error(w, "simulated failure", http.StatusInternalServerError)
}

// Every reports whether the nth request is one of every period-th; a
// period of 0 never is.
func Every(n, period int) bool { return period > 0 && n%period == 0 }

// Settle readies an order's versions for the book: it returns a copy in
// which a zero visible time is the version's own time (found at once), or
// an error when the versions are not in time order. times returns when v
// happened and where its visible time is.
func Settle[V any](versions []V, times func(v *V) (at time.Time, visible *time.Time)) ([]V, error) {
	vs := slices.Clone(versions)
	var last time.Time
	for i := range vs {
		at, visible := times(&vs[i])
		if visible.IsZero() {
			*visible = at
		}
		if i > 0 && at.Before(last) {
			return nil, errors.New("versions are not in time order")
		}
		last = at
	}
	return vs, nil
}

// Current returns the version of an order a platform shows at now: the
// last one visible by then (its index lags behind the change). A zero now
// shows the last version; ok is false when none is visible yet. versions
// are in time order.
func Current[V any](versions []V, visible func(V) time.Time, now time.Time) (v V, ok bool) {
	if now.IsZero() {
		return versions[len(versions)-1], true
	}
	for i := len(versions) - 1; i >= 0; i-- {
		if !visible(versions[i]).After(now) {
			return versions[i], true
		}
	}
	return v, false
}

// Totals are the figures of one slice of the orders, goods only, freight
// excluded, like Loquat's.
type Totals struct {
	GMVFen     domain.Fen
	RefundsFen domain.Fen
	NetFen     domain.Fen
}

// AddSale counts a payment of v.
func (t *Totals) AddSale(v domain.Fen) { t.GMVFen += v; t.NetFen += v }

// AddRefund counts a refund of v.
func (t *Totals) AddRefund(v domain.Fen) { t.RefundsFen += v; t.NetFen -= v }
