package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/trawlhq/trawl/scrape"
)

// fetchMetrics counts the scrapers' page fetches by host class and outcome.
// Every pair is created up front, so each series is there (at 0) from the
// start and counting one takes no lookup in the vector.
type fetchMetrics struct {
	vec    *prometheus.CounterVec
	counts map[[2]string]prometheus.Counter
}

func newFetchMetrics() *fetchMetrics {
	f := &fetchMetrics{
		vec: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_fetches_total",
			Help: "Pages the scrapers fetched (retries included in one), by the class of the address connected to " +
				"(public, private, loopback, proxy, none) and outcome (ok, http_4xx, http_5xx, timeout, blocked, robots, canceled, error).",
		}, []string{"class", "outcome"}),
		counts: map[[2]string]prometheus.Counter{},
	}
	for _, c := range scrape.FetchClasses() {
		for _, o := range scrape.FetchOutcomes() {
			f.counts[[2]string{c, o}] = f.vec.WithLabelValues(c, o)
		}
	}
	return f
}

// Fetched implements scrape.FetchObserver. A class or outcome outside the
// documented sets (none today) is counted all the same.
func (m *Metrics) Fetched(class, outcome string) {
	if c := m.fetch.counts[[2]string{class, outcome}]; c != nil {
		c.Inc()
		return
	}
	m.fetch.vec.WithLabelValues(class, outcome).Inc()
}
