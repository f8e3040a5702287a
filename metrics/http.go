package metrics

import (
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics times the API's requests by route, method and status.
//
// Recording must cost next to nothing per request: the series already seen
// sit in a map that is replaced, never changed, so a request reads it
// without a lock and without allocating; only a request that makes a new
// series (a route, method and status not seen before) takes the lock and
// copies the map. The labels are bounded by the caller (route patterns, a
// fixed set of methods), so the map stays small.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	series   atomic.Pointer[map[httpKey]prometheus.Observer]
	mu       sync.Mutex // held to add a series
}

type httpKey struct {
	route, method string
	status        int
}

func newHTTPMetrics() *httpMetrics {
	h := &httpMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "trawl_http_request_duration_seconds",
		Help: "Time to answer an API request, by route pattern (\"unmatched\" when no route matched), method and status code. " +
			"A streamed answer (exports, /events) counts until its last byte.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"route", "method", "code"})}
	h.series.Store(&map[httpKey]prometheus.Observer{})
	return h
}

// observer returns the histogram of k, creating it on first use.
func (h *httpMetrics) observer(k httpKey) prometheus.Observer {
	if o := (*h.series.Load())[k]; o != nil {
		return o
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := *h.series.Load()
	if o := old[k]; o != nil {
		return o
	}
	o := h.duration.WithLabelValues(k.route, k.method, strconv.Itoa(k.status))
	next := maps.Clone(old)
	next[k] = o
	h.series.Store(&next)
	return o
}

// HTTPRequest implements httpapi.Observer: one request answered. route is
// the route's pattern, never the raw path, and method one of a fixed set,
// so that the number of series stays bounded.
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration) {
	m.http.observer(httpKey{route: route, method: method, status: status}).Observe(d.Seconds())
}
