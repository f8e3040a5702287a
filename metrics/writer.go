package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	writerWaitsDesc = prometheus.NewDesc("trawl_db_writer_waits_total",
		"Times a statement waited for a database writer connection (SQLite: its turn to write, one connection at a time; PostgreSQL: a connection of the pool).",
		nil, nil)
	writerWaitDesc = prometheus.NewDesc("trawl_db_writer_wait_seconds_total",
		"Total time statements waited for a database writer connection; a wait is counted when it ends.",
		nil, nil)
	writerConnsDesc = prometheus.NewDesc("trawl_db_writer_connections",
		"Database writer connections by state (in_use, idle).",
		[]string{"state"}, nil)
	writerMaxDesc = prometheus.NewDesc("trawl_db_writer_connections_max",
		"Most database writer connections writing at once (1 on SQLite).",
		nil, nil)
)

// WatchWriter exposes the database writer's pool statistics, read from
// stats at each scrape: waits for a connection (count and total time) and
// connections in use and idle. A rising wait time with the in-use gauge at
// its maximum means the writer is the bottleneck. Call it once, before the
// metrics are served; a second call panics (the series exist already).
func (m *Metrics) WatchWriter(stats func() sql.DBStats) {
	m.registry.MustRegister(writerCollector(stats))
}

// writerCollector reads the writer's statistics when scraped.
type writerCollector func() sql.DBStats

func (c writerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- writerWaitsDesc
	ch <- writerWaitDesc
	ch <- writerConnsDesc
	ch <- writerMaxDesc
}

func (c writerCollector) Collect(ch chan<- prometheus.Metric) {
	s := c()
	ch <- prometheus.MustNewConstMetric(writerWaitsDesc, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(writerWaitDesc, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(writerConnsDesc, prometheus.GaugeValue, float64(s.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(writerConnsDesc, prometheus.GaugeValue, float64(s.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(writerMaxDesc, prometheus.GaugeValue, float64(s.MaxOpenConnections))
}
