package storage

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// NewPoolCollector returns a Prometheus collector that reads the pool's
// statistics from stats at every scrape and exports them as
// linkwatch_db_pool_* metrics. A utilization near 1 and a growing waits
// counter mean the pool is too small for the load.
func NewPoolCollector(stats func() PoolStats) prometheus.Collector {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("linkwatch_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{
		stats:       stats,
		acquired:    desc("acquired_connections", "Database connections in use."),
		idle:        desc("idle_connections", "Idle database connections."),
		total:       desc("total_connections", "Open database connections."),
		max:         desc("max_connections", "The connection pool's limit."),
		utilization: desc("utilization", "Connections in use as a fraction of the pool's limit, from 0 to 1."),
		acquires:    desc("acquires_total", "Connections taken from the pool."),
		waits:       desc("waits_total", "Connections taken from the pool that had to be waited for."),
		waitSeconds: desc("wait_seconds_total", "Time spent waiting for a connection from the pool."),
	}
}

type poolCollector struct {
	stats                        func() PoolStats
	acquired, idle, total, max   *prometheus.Desc
	utilization                  *prometheus.Desc
	acquires, waits, waitSeconds *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.acquired, c.idle, c.total, c.max, c.utilization, c.acquires, c.waits, c.waitSeconds} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(c.acquired, float64(s.Acquired))
	gauge(c.idle, float64(s.Idle))
	gauge(c.total, float64(s.Total))
	gauge(c.max, float64(s.Max))
	var util float64
	if s.Max > 0 {
		util = min(float64(s.Acquired)/float64(s.Max), 1)
	}
	gauge(c.utilization, util)
	counter(c.acquires, float64(s.AcquireCount))
	counter(c.waits, float64(s.WaitCount))
	counter(c.waitSeconds, s.WaitDuration.Seconds())
}

// PingTimeout bounds the ping NewUpCollector makes at each scrape.
const PingTimeout = time.Second

// NewUpCollector returns a Prometheus collector exporting linkwatch_db_up:
// 1 when the database answered a ping (within PingTimeout) at this scrape,
// 0 when it did not. It is what an outside monitor pages on when the
// database is unreachable, since Linkwatch's own alert engine keeps its
// alerts in that database and cannot raise one while it is gone.
func NewUpCollector(ping func(context.Context) error) prometheus.Collector {
	return &upCollector{ping: ping, desc: prometheus.NewDesc("linkwatch_db_up",
		"1 when the database answered a ping within 1s at this scrape, 0 when it did not.", nil, nil)}
}

type upCollector struct {
	ping func(context.Context) error
	desc *prometheus.Desc
}

func (c *upCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *upCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	up := 1.0
	if c.ping(ctx) != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, up)
}
