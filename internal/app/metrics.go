package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/callimport/callimport/internal/connectors"
	"github.com/callimport/callimport/internal/jobs"
)

// queueCollector reports the job queue's depth by state when scraped.
type queueCollector struct {
	ctx  context.Context
	q    *jobs.Queue
	desc *prometheus.Desc
}

func newQueueCollector(ctx context.Context, q *jobs.Queue) *queueCollector {
	return &queueCollector{ctx: context.WithoutCancel(ctx), q: q, desc: prometheus.NewDesc(
		"callimport_jobs", "Background jobs by state (available, scheduled, running, retryable).", []string{"state"}, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	depth, err := c.q.Depth(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for state, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// quietFeedsCollector reports, when scraped, the enabled pull sources and
// Genesys export rules that are quiet (nothing imported for longer than
// --feed-quiet-after), by connector.
type quietFeedsCollector struct {
	ctx  context.Context
	m    *connectors.Manager
	desc *prometheus.Desc
}

func newQuietFeedsCollector(ctx context.Context, m *connectors.Manager) *quietFeedsCollector {
	return &quietFeedsCollector{ctx: context.WithoutCancel(ctx), m: m, desc: prometheus.NewDesc(
		"callimport_connector_quiet_feeds", "Enabled pull sources (sftp_pull) and Genesys export rules (genesys) that imported nothing for longer than the quiet period.",
		[]string{"connector"}, nil)}
}

func (c *quietFeedsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *quietFeedsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
	defer cancel()
	quiet, err := c.m.QuietFeeds(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for connector, n := range quiet {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), connector)
	}
}

// observeConnectorRun counts a scheduled run of connector.
func (s *Server) observeConnectorRun(connector string, ok bool) {
	outcome := "success"
	if !ok {
		outcome = "failure"
	}
	s.Metrics.ConnectorRuns.WithLabelValues(connector, outcome).Inc()
}

// observeSFTPSession moves the open SFTP sessions gauge by delta.
func (s *Server) observeSFTPSession(delta int) { s.Metrics.SFTPSessions.Add(float64(delta)) }
