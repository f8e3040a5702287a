package httpapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/metrics"
)

// recordedRequest is one call to an Observer.
type recordedRequest struct {
	Route, Method string
	Status        int
}

type requestRecorder struct {
	mu   sync.Mutex
	seen []recordedRequest
}

func (r *requestRecorder) HTTPRequest(route, method string, status int, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d <= 0 {
		panic("a request took no time")
	}
	r.seen = append(r.seen, recordedRequest{route, method, status})
}

// TestObserverSeesRoutePatterns checks that each request is reported once
// under its route's pattern, never its path, and that paths and methods no
// route has are folded into bounded labels.
func TestObserverSeesRoutePatterns(t *testing.T) {
	t.Parallel()
	rec := &requestRecorder{}
	b := setup(t, func(c *Config) { c.Observer = rec })
	for _, r := range []struct{ method, target, body, key string }{
		{"GET", "/scrapers/jobs/7", "", key1},
		{"GET", "/scrapers/jobs/12345", "", key1},
		{"GET", "/scrapers/jobs/7", "", ""},
		{"POST", "/scrapers/crawler/jobs", `{"urls":["https://example.com"]}`, key1},
		{"HEAD", "/healthz", "", ""},
		{"GET", "/no/such/path", "", key1},
		{"GET", "/scrapers//jobs", "", key1},
		{"BREW", "/scrapers", "", key1},
		{"PUT", "/scrapers/jobs/7", "", key1},
	} {
		b.do(t, r.method, r.target, r.body, "x-api-key", r.key)
	}
	want := []recordedRequest{
		{"/scrapers/jobs/{id}", "GET", 200},
		{"/scrapers/jobs/{id}", "GET", 404},
		{"/scrapers/jobs/{id}", "GET", 401},
		{"/scrapers/{slug}/jobs", "POST", 200},
		{"/healthz", "HEAD", 200},
		{RouteUnmatched, "GET", 404},
		{RouteUnmatched, "GET", 404},
		{RouteUnmatched, "OTHER", 405},
		{RouteUnmatched, "PUT", 405},
	}
	if diff := cmp.Diff(want, rec.seen); diff != "" {
		t.Errorf("observed requests (-want +got):\n%s", diff)
	}
}

// BenchmarkInstrument measures what the metrics add to a request: the same
// cheap route served without an observer and with trawl's metrics. The
// difference is the per-request cost of the histogram; allocs/op shows that
// it allocates nothing.
func BenchmarkInstrument(b *testing.B) {
	for _, bc := range []struct {
		name     string
		observer Observer
	}{
		{"none", nil},
		{"metrics", metrics.New(nil, slog.New(slog.DiscardHandler))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := newServer(Config{Jobs: &fakeJobs{}, Store: &fakeStore{}, Observer: bc.observer}).handler
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			w := &discardWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.header)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler rather than a recorder.
type discardWriter struct{ header http.Header }

func (w *discardWriter) Header() http.Header         { return w.header }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}
