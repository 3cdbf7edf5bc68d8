package app

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
