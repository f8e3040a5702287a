package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// browserMetrics are the headless browser's gauges and counters.
type browserMetrics struct {
	tabsBusy prometheus.Gauge
	rendered *prometheus.CounterVec
	duration prometheus.Histogram
	restarts *prometheus.CounterVec
}

func newBrowserMetrics() *browserMetrics {
	return &browserMetrics{
		tabsBusy: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trawl_browser_tabs_busy",
			Help: "Browser tabs rendering a page now.",
		}),
		rendered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_browser_pages_rendered_total",
			Help: "Pages rendered in the headless browser, by outcome (ok, error).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trawl_browser_render_duration_seconds",
			Help:    "Time to render one page, waiting for a tab excluded.",
			Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 10, 20, 30, 60, 120},
		}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trawl_browser_restarts_total",
			Help: "Browsers replaced, by reason (crash, hang, memory).",
		}, []string{"reason"}),
	}
}

func (b *browserMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{b.tabsBusy, b.rendered, b.duration, b.restarts}
}

// TabsBusy implements browser.Observer.
func (m *Metrics) TabsBusy(n int) { m.browser.tabsBusy.Set(float64(n)) }

// PageRendered implements browser.Observer.
func (m *Metrics) PageRendered(outcome string, d time.Duration) {
	m.browser.rendered.WithLabelValues(outcome).Inc()
	m.browser.duration.Observe(d.Seconds())
}

// BrowserRestarted implements browser.Observer.
func (m *Metrics) BrowserRestarted(reason string) {
	m.browser.restarts.WithLabelValues(reason).Inc()
}
