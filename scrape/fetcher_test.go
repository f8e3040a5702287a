package scrape

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// newTestFetcher returns a Fetcher on a private transport (closed at cleanup,
// so goleak sees no idle connections) with fast retries unless o says
// otherwise.
func newTestFetcher(t *testing.T, o FetcherOptions) *Fetcher {
	t.Helper()
	if o.Client == nil {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		o.Client = &http.Client{Transport: tr}
	}
	if o.RetryBaseDelay == 0 {
		o.RetryBaseDelay = time.Millisecond
	}
	if o.PerHostRate == 0 {
		o.PerHostRate = 1000
	}
	return NewFetcher(o)
}

func newTestServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// fakeClock is a settable FetcherOptions.Now.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestFetchRetries(t *testing.T) {
	t.Parallel()

	type step struct {
		status     int
		retryAfter string
	}
	type result struct {
		StatusCode int
		Status     string
		Attempts   int
		Hits       int32
		Body       string
	}
	tests := []struct {
		name  string
		steps []step // the last step repeats
		opts  FetcherOptions
		want  result
	}{
		{
			name:  "200 at once",
			steps: []step{{status: 200}},
			want:  result{StatusCode: 200, Status: "OK", Attempts: 1, Hits: 1, Body: "200"},
		},
		{
			name:  "503 then 200",
			steps: []step{{status: 503}, {status: 200}},
			want:  result{StatusCode: 200, Status: "OK", Attempts: 2, Hits: 2, Body: "200"},
		},
		{
			name:  "502 504 then 200",
			steps: []step{{status: 502}, {status: 504}, {status: 200}},
			want:  result{StatusCode: 200, Status: "OK", Attempts: 3, Hits: 3, Body: "200"},
		},
		{
			name:  "500 is not retried",
			steps: []step{{status: 500}},
			want:  result{StatusCode: 500, Status: "Internal Server Error", Attempts: 1, Hits: 1, Body: "500"},
		},
		{
			name:  "404 is not retried",
			steps: []step{{status: 404}},
			want:  result{StatusCode: 404, Status: "Not Found", Attempts: 1, Hits: 1, Body: "404"},
		},
		{
			name:  "always 503 gives up after MaxRetries",
			steps: []step{{status: 503}},
			want:  result{StatusCode: 503, Status: "Service Unavailable", Attempts: 3, Hits: 3, Body: "503"},
		},
		{
			name:  "MaxRetries 4",
			steps: []step{{status: 429}},
			opts:  FetcherOptions{MaxRetries: 4},
			want:  result{StatusCode: 429, Status: "Too Many Requests", Attempts: 5, Hits: 5, Body: "429"},
		},
		{
			name:  "negative MaxRetries disables retries",
			steps: []step{{status: 503}},
			opts:  FetcherOptions{MaxRetries: -1},
			want:  result{StatusCode: 503, Status: "Service Unavailable", Attempts: 1, Hits: 1, Body: "503"},
		},
		{
			name:  "Retry-After over MaxRetryAfter is returned as is",
			steps: []step{{status: 429, retryAfter: "120"}, {status: 200}},
			want:  result{StatusCode: 429, Status: "Too Many Requests", Attempts: 1, Hits: 1, Body: "429"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int32
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := int(hits.Add(1))
				s := tt.steps[min(n, len(tt.steps))-1]
				if s.retryAfter != "" {
					w.Header().Set("Retry-After", s.retryAfter)
				}
				w.WriteHeader(s.status)
				w.Write([]byte(strconv.Itoa(s.status)))
			})
			f := newTestFetcher(t, tt.opts)

			resp, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/page"})
			if err != nil {
				t.Fatalf("Fetch: got error %v, want none", err)
			}
			got := result{resp.StatusCode, resp.Status, resp.Attempts, hits.Load(), string(resp.Body)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		times []time.Time
	)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		n := len(times)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte("ok"))
	})
	f := newTestFetcher(t, FetcherOptions{})

	resp, err := f.Fetch(t.Context(), Request{URL: srv.URL})
	if err != nil {
		t.Fatalf("Fetch: got error %v, want none", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Attempts != 2 {
		t.Fatalf("Fetch: got status %d after %d attempts, want 200 after 2", resp.StatusCode, resp.Attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := times[1].Sub(times[0]); gap < 900*time.Millisecond {
		t.Errorf("retry came %v after the 429, want >= 900ms (Retry-After: 1)", gap)
	}
}

func TestFetchCancelDuringRetryAfter(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// The clock is read to resolve Retry-After right after the first response
	// arrives and before the wait starts: cancel there, deterministically.
	f := newTestFetcher(t, FetcherOptions{Now: func() time.Time {
		if hits.Load() > 0 {
			cancel()
		}
		return time.Now()
	}})

	start := time.Now()
	resp, err := f.Fetch(ctx, Request{URL: srv.URL})
	elapsed := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch: got (%v, %v), want context.Canceled", resp, err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Fetch returned %v after cancel, want promptly (Retry-After was 20s)", elapsed)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("server hits: got %d, want 1", got)
	}
}

func TestFetchConnectionClosed(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	})
	f := newTestFetcher(t, FetcherOptions{})

	resp, err := f.Fetch(t.Context(), Request{URL: srv.URL})
	if err == nil {
		t.Fatalf("Fetch: got response %d, want an error", resp.StatusCode)
	}
	if got, want := hits.Load(), int32(DefaultMaxRetries+1); got != want {
		t.Errorf("server hits: got %d, want %d (err %v)", got, want, err)
	}
}

func TestFetchBody(t *testing.T) {
	t.Parallel()

	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	type result struct {
		Body      string
		Truncated bool
		Gzip      bool // the request offered gzip
	}
	tests := []struct {
		name   string
		body   []byte
		gzip   bool
		header http.Header
		max    int64
		want   result
	}{
		{
			name: "under cap",
			body: []byte("0123456789"),
			max:  11,
			want: result{Body: "0123456789", Gzip: true},
		},
		{
			name: "exactly cap",
			body: []byte("0123456789"),
			max:  10,
			want: result{Body: "0123456789", Gzip: true},
		},
		{
			name: "over cap is cut",
			body: bytes.Repeat([]byte("x"), 100),
			max:  10,
			want: result{Body: "xxxxxxxxxx", Truncated: true, Gzip: true},
		},
		{
			name: "gzip is decoded",
			body: gz("hello, gzip"),
			gzip: true,
			want: result{Body: "hello, gzip", Gzip: true},
		},
		{
			name:   "caller Accept-Encoding is dropped",
			body:   gz("hello, gzip"),
			gzip:   true,
			header: http.Header{"Accept-Encoding": {"identity"}},
			want:   result{Body: "hello, gzip", Gzip: true},
		},
		{
			name: "cap applies after decoding",
			body: gz(strings.Repeat("y", 1000)),
			gzip: true,
			max:  5,
			want: result{Body: "yyyyy", Truncated: true, Gzip: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var offered atomic.Bool
			srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				offered.Store(strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"))
				if tt.gzip {
					w.Header().Set("Content-Encoding", "gzip")
				}
				w.Write(tt.body)
			})
			f := newTestFetcher(t, FetcherOptions{MaxBodyBytes: tt.max})

			resp, err := f.Fetch(t.Context(), Request{URL: srv.URL, Header: tt.header})
			if err != nil {
				t.Fatalf("Fetch: got error %v, want none", err)
			}
			got := result{Body: string(resp.Body), Truncated: resp.Truncated, Gzip: offered.Load()}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Fetch body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFetchRequestAndFinalURL(t *testing.T) {
	t.Parallel()
	type seen struct {
		UserAgent string
		Extra     string
		Method    string
	}
	var (
		mu  sync.Mutex
		got seen
	)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/old" {
			http.Redirect(w, r, "/new", http.StatusFound)
			return
		}
		mu.Lock()
		got = seen{r.UserAgent(), r.Header.Get("X-Extra"), r.Method}
		mu.Unlock()
		w.Write([]byte("moved"))
	})
	f := newTestFetcher(t, FetcherOptions{})

	resp, err := f.Fetch(t.Context(), Request{
		URL:    srv.URL + "/old",
		Header: http.Header{"X-Extra": {"1"}, "User-Agent": {"spoof"}},
	})
	if err != nil {
		t.Fatalf("Fetch: got error %v, want none", err)
	}
	if want := srv.URL + "/new"; resp.URL != want {
		t.Errorf("Response.URL: got %q, want %q", resp.URL, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(seen{DefaultUserAgent, "1", http.MethodGet}, got); diff != "" {
		t.Errorf("request mismatch (-want +got):\n%s", diff)
	}
}

func TestFetchPerHostConcurrency(t *testing.T) {
	t.Parallel()
	const limit, fetches = 4, 20
	var inFlight, maxInFlight atomic.Int32
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		// Simulated server latency, so requests overlap.
		timer := time.NewTimer(5 * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
		}
	})
	f := newTestFetcher(t, FetcherOptions{PerHostConcurrency: limit, PerHostRate: 10000, PerHostBurst: fetches})

	var wg sync.WaitGroup
	errs := make(chan error, fetches)
	for range fetches {
		wg.Go(func() {
			_, err := f.Fetch(t.Context(), Request{URL: srv.URL})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Fetch: got error %v, want none", err)
		}
	}
	if got := maxInFlight.Load(); got > limit || got < 1 {
		t.Errorf("max requests in flight: got %d, want 1..%d", got, limit)
	}
}

func TestFetchRateOverride(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	f := newTestFetcher(t, FetcherOptions{PerHostRate: 50})

	// 200 is above the host's 50: a request may only be politer than the
	// operator's limit, so it shares the host's limiter.
	for _, r := range []float64{0, 50, 200, 20} {
		if _, err := f.Fetch(t.Context(), Request{URL: srv.URL, Rate: r}); err != nil {
			t.Fatalf("Fetch (rate %v): %v", r, err)
		}
	}
	f.mu.Lock()
	got := map[float64]float64{}
	for k, lim := range f.hosts[strings.TrimPrefix(srv.URL, "http://")].limiters {
		got[k] = float64(lim.Limit())
	}
	f.mu.Unlock()
	if diff := cmp.Diff(map[float64]float64{0: 50, 20: 20}, got); diff != "" {
		t.Errorf("limiters by request rate (-want +got):\n%s", diff)
	}
}

func TestFetchInvalidURL(t *testing.T) {
	t.Parallel()
	f := newTestFetcher(t, FetcherOptions{})
	for _, u := range []string{"", "/relative", "ftp://example.com/", "http://", "http://%zz"} {
		t.Run(u, func(t *testing.T) {
			t.Parallel()
			if resp, err := f.Fetch(t.Context(), Request{URL: u}); err == nil {
				t.Errorf("Fetch(%q): got %v, want an error", u, resp)
			}
		})
	}
}

func TestHostStateEviction(t *testing.T) {
	t.Parallel()
	a := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	b := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	clock := newFakeClock()
	f := newTestFetcher(t, FetcherOptions{Now: clock.Now})

	hosts := func() []string {
		f.mu.Lock()
		defer f.mu.Unlock()
		var keys []string
		for k := range f.hosts {
			keys = append(keys, "http://"+k)
		}
		return keys
	}
	fetch := func(url string) {
		if _, err := f.Fetch(t.Context(), Request{URL: url}); err != nil {
			t.Fatalf("Fetch %s: %v", url, err)
		}
	}

	fetch(a.URL)
	clock.Advance(5 * time.Minute)
	fetch(b.URL)
	if diff := cmp.Diff([]string{a.URL, b.URL}, hosts(), sortStrings); diff != "" {
		t.Errorf("hosts after 5 min (-want +got):\n%s", diff)
	}
	clock.Advance(6 * time.Minute) // a idle 11 min, b 6 min
	fetch(b.URL)
	if diff := cmp.Diff([]string{b.URL}, hosts(), sortStrings); diff != "" {
		t.Errorf("hosts after 11 min (-want +got):\n%s", diff)
	}
}

var sortStrings = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	type result struct {
		D  time.Duration
		OK bool
	}
	tests := []struct {
		in   string
		want result
	}{
		{"", result{0, false}},
		{"0", result{0, true}},
		{"1", result{time.Second, true}},
		{" 120 ", result{2 * time.Minute, true}},
		{"-3", result{0, false}},
		{"soon", result{0, false}},
		{"99999999999999999", result{time.Duration(1<<63 - 1).Truncate(time.Second), true}},
		{"Wed, 01 Jan 2025 12:00:30 GMT", result{30 * time.Second, true}},
		{"Wed, 01 Jan 2025 11:00:00 GMT", result{0, true}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			d, ok := parseRetryAfter(tt.in, now)
			if diff := cmp.Diff(tt.want, result{d, ok}); diff != "" {
				t.Errorf("parseRetryAfter(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
