package server

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/loquat-dev/loquat/domain"
	"github.com/loquat-dev/loquat/ingest/jd"
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

// pollerCollector shows each poller's status as metrics, read when
// scraped: how far it has got, its calls and errors, its last error.
type pollerCollector struct {
	statuses func() []jd.Status

	coveredTo, caughtUp, calls, errors, lastErrorAt, lastError, gap, behind, up *prometheus.Desc
}

func newPollerCollector(statuses func() []jd.Status) *pollerCollector {
	labels := []string{"platform", "poller"}
	desc := func(name, help string, extra ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append(labels[:len(labels):len(labels)], extra...), nil)
	}
	return &pollerCollector{
		statuses:    statuses,
		coveredTo:   desc("loquat_poller_covered_to_seconds", "End of the last window a poller read to its end (Unix time)."),
		caughtUp:    desc("loquat_poller_caught_up_seconds", "When a poller last caught up with the clock less its safety lag (Unix time)."),
		calls:       desc("loquat_poller_calls_total", "Calls a poller made to its platform's API."),
		errors:      desc("loquat_poller_errors_total", "Calls to a platform's API that failed (network, HTTP status, error answer, not a page)."),
		lastErrorAt: desc("loquat_poller_last_error_seconds", "When a poller's last failed call was (Unix time)."),
		lastError:   desc("loquat_poller_last_error_info", "A poller's last error, as the error label.", "error"),
		gap:         desc("loquat_poller_lookback_gap_seconds", "Length of the stretch a poller skipped because the platform does not search that far back; import those orders from the platform's export."),
		behind:      desc("loquat_poller_platform_clock_behind_seconds", "How far the platform's clock was last seen behind ours (its answers' Date); windows end that much earlier."),
		up:          desc("loquat_poller_up", "1 while a poller polls, 0 once it stopped for good."),
	}
}

func (c *pollerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.coveredTo, c.caughtUp, c.calls, c.errors, c.lastErrorAt, c.lastError, c.gap, c.behind, c.up} {
		ch <- d
	}
}

func (c *pollerCollector) Collect(ch chan<- prometheus.Metric) {
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixMilli()) / 1000
	}
	for _, s := range c.statuses() {
		l := []string{s.Platform, s.Poller}
		ch <- prometheus.MustNewConstMetric(c.coveredTo, prometheus.GaugeValue, unix(s.CoveredTo), l...)
		ch <- prometheus.MustNewConstMetric(c.caughtUp, prometheus.GaugeValue, unix(s.CaughtUpAt), l...)
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(s.Calls), l...)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(s.Errors), l...)
		ch <- prometheus.MustNewConstMetric(c.lastErrorAt, prometheus.GaugeValue, unix(s.LastErrorAt), l...)
		if s.LastError != "" {
			ch <- prometheus.MustNewConstMetric(c.lastError, prometheus.GaugeValue, 1, append(l, s.LastError)...)
		}
		ch <- prometheus.MustNewConstMetric(c.gap, prometheus.GaugeValue, s.GapTo.Sub(s.GapFrom).Seconds(), l...)
		ch <- prometheus.MustNewConstMetric(c.behind, prometheus.GaugeValue, s.PlatformBehind.Seconds(), l...)
		up := 1.0
		if s.Stopped != "" {
			up = 0
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, l...)
	}
}
