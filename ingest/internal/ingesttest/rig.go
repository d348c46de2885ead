package ingesttest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Rig is a simulated platform served over real HTTP, with the event log,
// cursor store, log and clock that outlive the pollers built on them: a new
// poller on the same rig is a restart with nothing in memory.
type Rig[S http.Handler] struct {
	Sim     S
	Srv     *httptest.Server
	Sink    *Sink
	Cursors *Cursors
	Logs    *LogRecords
	Clock   *Clock
}

// NewRig serves sim, wrapped by wrap when not nil, until the test ends.
// clock is the one sim reads, if it reads one; nil makes a new one.
func NewRig[S http.Handler](t testing.TB, sim S, clock *Clock, wrap func(http.Handler) http.Handler) *Rig[S] {
	t.Helper()
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if clock == nil {
		clock = &Clock{}
	}
	return &Rig[S]{Sim: sim, Srv: srv, Sink: &Sink{}, Cursors: &Cursors{}, Logs: &LogRecords{}, Clock: clock}
}
