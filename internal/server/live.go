package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loquat-dev/loquat/eventlog"
	"github.com/loquat-dev/loquat/internal/live"
)

// openLive prepares the live stream's hub (API role): the projector's
// commits notify it when it runs in this process; otherwise followCheckpoint
// watches the read model's checkpoint.
func (n *Node) openLive() {
	n.live = live.NewHub()
	n.metrics.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loquat_stream_clients", Help: "Live stream (SSE) clients connected."},
			func() float64 { c, _ := n.live.Stats(); return float64(c) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "loquat_stream_dropped_total", Help: "Live stream clients dropped for not reading."},
			func() float64 { _, d := n.live.Stats(); return float64(d) }),
	)
}

// checkpointPoll is how often an API node without the projector looks at
// the read model's checkpoint for the live stream.
const checkpointPoll = time.Second

// followCheckpoint notifies the hub when the projector (in another
// process: loquat project) has committed, as its checkpoint in the read
// model shows.
func (n *Node) followCheckpoint(ctx context.Context) {
	consumer := n.cfg.Projector.Consumer
	if consumer == "" {
		consumer = "projector"
	}
	var last eventlog.Positions
	t := time.NewTicker(checkpointPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pos, err := n.store.Checkpoint(ctx, consumer)
		if err != nil {
			continue // the store is down: /readyz says so; try again
		}
		if !samePositions(pos, last) {
			last = pos.Clone()
			n.live.Notify()
		}
	}
}

func samePositions(a, b eventlog.Positions) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
