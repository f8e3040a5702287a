// Package metrics exposes trawl's Prometheus metrics: webhook deliveries by
// outcome and error class, attempt latency, event-to-2xx latency, rows stored,
// API request durations by route, page fetches by host class and outcome,
// and, read at each scrape, jobs by status, River queue depth by queue and
// state, and the database writer's waits and connections.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Source answers the questions asked at each scrape. The store implements it.
type Source interface {
	// JobCounts counts jobs by status.
	JobCounts(ctx context.Context) (map[string]int64, error)
	// QueueDepth counts River jobs not yet finished, by queue and state.
	QueueDepth(ctx context.Context) (map[[2]string]int64, error)
}

// Metrics holds trawl's collectors in a registry of its own. It is safe for
// concurrent use.
type Metrics struct {
	registry  *prometheus.Registry
	attempts  *prometheus.CounterVec
	latency   prometheus.Histogram
	delivered prometheus.Histogram
	rows      *prometheus.CounterVec
	browser   *browserMetrics
	http      *httpMetrics
	fetch     *fetchMetrics
}

// New returns the metrics, reading jobs and queues from src at each scrape.
func New(src Source, log *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome (delivered, retry, failed, gone) and error class.",
		}, []string{"outcome", "class"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trawl_webhook_attempt_duration_seconds",
			Help:    "Duration of one webhook HTTP attempt.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}),
		delivered: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trawl_webhook_event_to_2xx_seconds",
			Help:    "Time from an event's commit to its receiver's 2xx, retries included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
		}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_rows_stored_total",
			Help: "Result rows stored, by scraper.",
		}, []string{"scraper"}),
		browser: newBrowserMetrics(),
		http:    newHTTPMetrics(),
		fetch:   newFetchMetrics(),
	}
	m.registry.MustRegister(m.browser.collectors()...)
	m.registry.MustRegister(m.http.duration, m.fetch.vec)
	m.registry.MustRegister(m.attempts, m.latency, m.delivered, m.rows,
		&dbCollector{src: src, log: log},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Attempt implements webhook.Observer.
func (m *Metrics) Attempt(outcome, class string, d time.Duration) {
	if class == "" {
		class = "none"
	}
	m.attempts.WithLabelValues(outcome, class).Inc()
	m.latency.Observe(d.Seconds())
}

// Delivered implements webhook.Observer.
func (m *Metrics) Delivered(sinceEvent time.Duration) {
	m.delivered.Observe(sinceEvent.Seconds())
}

// RowsStored counts rows a job stored.
func (m *Metrics) RowsStored(scraper string, n int) {
	m.rows.WithLabelValues(scraper).Add(float64(n))
}

var (
	jobsDesc  = prometheus.NewDesc("trawl_jobs", "Jobs by status.", []string{"status"}, nil)
	queueDesc = prometheus.NewDesc("trawl_queue_jobs", "River jobs not yet finished, by queue and state.", []string{"queue", "state"}, nil)
)

// dbCollector reads gauges from the database when scraped.
type dbCollector struct {
	src Source
	log *slog.Logger
}

func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- jobsDesc
	ch <- queueDesc
}

func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if counts, err := c.src.JobCounts(ctx); err != nil {
		c.log.Warn("metrics: count jobs", "err", err)
	} else {
		for status, n := range counts {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(n), status)
		}
	}
	if depth, err := c.src.QueueDepth(ctx); err != nil {
		c.log.Warn("metrics: queue depth", "err", err)
	} else {
		for k, n := range depth {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
		}
	}
}
