package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are callimport's Prometheus metrics. Label sets are bounded: no
// ids, routes are patterns, statuses are codes.
type Metrics struct {
	Registry     *prometheus.Registry
	HTTPRequests *prometheus.CounterVec   // route, method, code
	HTTPDuration *prometheus.HistogramVec // route, method
	Calls        *prometheus.CounterVec   // source, outcome (received, duplicate, refused, imported, rejected)
	Bytes        *prometheus.CounterVec   // source
	IngestTime   *prometheus.HistogramVec // source
	ProcessTime  prometheus.Histogram     // from receipt to imported/rejected
	// ConnectorRuns counts scheduled runs by connector (sftp_pull,
	// genesys: store.ScheduleSFTPPull, store.ScheduleGenesys) and outcome
	// (success, failure).
	ConnectorRuns *prometheus.CounterVec
	// SFTPSessions is the hosted SFTP server's open SSH sessions.
	SFTPSessions prometheus.Gauge
}

// NewMetrics registers the metrics in a new registry, with Go and process
// collectors.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: r,
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callimport_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callimport_http_request_duration_seconds", Help: "HTTP request duration by route pattern.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}, []string{"route", "method"}),
		Calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callimport_calls_total", Help: "Calls by source and outcome (received, duplicate, refused, imported, rejected).",
		}, []string{"source", "outcome"}),
		Bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "callimport_received_bytes_total", Help: "Audio bytes stored by source.",
		}, []string{"source"}),
		IngestTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "callimport_ingest_duration_seconds", Help: "Time to receive and commit one recording.",
			Buckets: prometheus.ExponentialBuckets(0.005, 4, 10),
		}, []string{"source"}),
		ProcessTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "callimport_processing_delay_seconds", Help: "Time from receipt to imported or rejected.",
			Buckets: prometheus.ExponentialBuckets(0.01, 4, 10),
		}),
	}
	m.ConnectorRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "callimport_connector_runs_total", Help: "Scheduled runs of pull sources and Genesys export rules by outcome (failure: stopped on an error or left an item for the next run).",
	}, []string{"connector", "outcome"})
	for _, c := range []string{"sftp_pull", "genesys"} { // every pair is reported, from zero
		for _, o := range []string{"success", "failure"} {
			m.ConnectorRuns.WithLabelValues(c, o)
		}
	}
	m.SFTPSessions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "callimport_sftp_sessions", Help: "Open SSH sessions of the hosted SFTP server.",
	})
	r.MustRegister(m.HTTPRequests, m.HTTPDuration, m.Calls, m.Bytes, m.IngestTime, m.ProcessTime, m.ConnectorRuns, m.SFTPSessions)
	return m
}
