package server

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/projections"
)

// metrics are a node's Prometheus metrics, on a registry of its own so that
// several nodes can run in one process (tests).
type metrics struct {
	registry     *prometheus.Registry
	ingested     *prometheus.CounterVec
	deadLetters  *prometheus.CounterVec
	projected    prometheus.Counter
	skipped      prometheus.Counter
	batchSeconds prometheus.Histogram
	lag          prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loquat_events_ingested_total", Help: "Events appended to the event log, by event type.",
		}, []string{"type"}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loquat_dead_letters_total", Help: "Inputs rejected into the dead-letter store, by source.",
		}, []string{"source"}),
		projected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loquat_events_projected_total", Help: "Events applied to the read model.",
		}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loquat_events_skipped_total", Help: "Redelivered or undecodable log messages the projector skipped.",
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "loquat_projector_batch_seconds", Help: "Time to project and commit one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "loquat_projector_lag_events", Help: "Events in the log not yet in the read model.",
		}),
	}
	m.registry.MustRegister(m.ingested, m.deadLetters, m.projected, m.skipped, m.batchSeconds, m.lag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) onAppend(events []domain.Event) {
	for _, e := range events {
		m.ingested.WithLabelValues(string(e.Type())).Inc()
	}
}

func (m *metrics) onDeadLetter(dl domain.DeadLetter) {
	source := dl.Source
	if i := strings.IndexByte(source, ':'); i >= 0 {
		source = source[:i] // "file:orders.csv:3" → "file": bounded label values
	}
	m.deadLetters.WithLabelValues(source).Inc()
}

func (m *metrics) onCommit(s projections.CommitStats) {
	m.projected.Add(float64(s.Events))
	m.skipped.Add(float64(s.Skipped))
	m.batchSeconds.Observe(s.Took.Seconds())
}
