package scrape

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/egress"
)

// robotsServer serves robotsBody with robotsStatus at /robots.txt and "page"
// elsewhere, counting both.
type robotsServer struct {
	url                  string
	robotsHits, pageHits atomic.Int32
	robotsStatus         int
	robotsBody           string
}

func newRobotsServer(t *testing.T, status int, body string) *robotsServer {
	t.Helper()
	rs := &robotsServer{robotsStatus: status, robotsBody: body}
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			rs.robotsHits.Add(1)
			w.WriteHeader(rs.robotsStatus)
			w.Write([]byte(rs.robotsBody))
			return
		}
		rs.pageHits.Add(1)
		w.Write([]byte("page"))
	})
	rs.url = srv.URL
	return rs
}

func TestFetchRobotsDisallowed(t *testing.T) {
	t.Parallel()
	rs := newRobotsServer(t, http.StatusOK, "User-agent: *\nDisallow: /private\n")
	f := newTestFetcher(t, FetcherOptions{})

	const fetches = 5
	var wg sync.WaitGroup
	errs := make(chan error, fetches)
	for range fetches {
		wg.Go(func() {
			resp, err := f.Fetch(t.Context(), Request{URL: rs.url + "/private/page", RespectRobots: true})
			if resp != nil {
				t.Errorf("Fetch: got response %d, want none", resp.StatusCode)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !errors.Is(err, ErrRobotsDisallowed) {
			t.Errorf("Fetch: got error %v, want ErrRobotsDisallowed", err)
		}
	}
	if got := rs.pageHits.Load(); got != 0 {
		t.Errorf("page hits: got %d, want 0", got)
	}
	if got := rs.robotsHits.Load(); got != 1 {
		t.Errorf("robots.txt hits: got %d, want 1", got)
	}

	// An allowed path on the same host uses the cached file.
	if _, err := f.Fetch(t.Context(), Request{URL: rs.url + "/public", RespectRobots: true}); err != nil {
		t.Fatalf("Fetch /public: %v", err)
	}
	// Without RespectRobots the disallowed page is fetched.
	if _, err := f.Fetch(t.Context(), Request{URL: rs.url + "/private/page"}); err != nil {
		t.Fatalf("Fetch /private/page ignoring robots: %v", err)
	}
	if got, want := [2]int32{rs.robotsHits.Load(), rs.pageHits.Load()}, [2]int32{1, 2}; got != want {
		t.Errorf("(robots, page) hits: got %v, want %v", got, want)
	}
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		paths  map[string]bool // path → want allowed
	}{
		{
			name:   "404 allows all",
			status: http.StatusNotFound,
			body:   "User-agent: *\nDisallow: /\n",
			paths:  map[string]bool{"/": true, "/x": true},
		},
		{
			name:   "410 allows all",
			status: http.StatusGone,
			paths:  map[string]bool{"/x": true},
		},
		{
			name:   "403 allows all",
			status: http.StatusForbidden,
			paths:  map[string]bool{"/x": true},
		},
		{
			name:   "500 allows all",
			status: http.StatusInternalServerError,
			body:   "User-agent: *\nDisallow: /\n",
			paths:  map[string]bool{"/x": true},
		},
		{
			name:   "empty file allows all",
			status: http.StatusOK,
			paths:  map[string]bool{"/x": true},
		},
		{
			name:   "disallow all",
			status: http.StatusOK,
			body:   "User-agent: *\nDisallow: /\n",
			paths:  map[string]bool{"/": false, "/x": false},
		},
		{
			name:   "prefix and allow override",
			status: http.StatusOK,
			body:   "User-agent: *\nDisallow: /private\nAllow: /private/open\n",
			paths:  map[string]bool{"/": true, "/private": false, "/private/x": false, "/private/open/1": true},
		},
		{
			name:   "our group wins over *",
			status: http.StatusOK,
			body:   "User-agent: *\nAllow: /\n\nUser-agent: trawl\nDisallow: /\n",
			paths:  map[string]bool{"/x": false},
		},
		{
			name:   "other agent's group does not apply",
			status: http.StatusOK,
			body:   "User-agent: googlebot\nDisallow: /\n",
			paths:  map[string]bool{"/x": true},
		},
		{
			name:   "query string",
			status: http.StatusOK,
			body:   "User-agent: *\nDisallow: /search?q=\n",
			paths:  map[string]bool{"/search": true, "/search?q=a": false},
		},
		{
			name:   "wildcards",
			status: http.StatusOK,
			body:   "User-agent: *\nDisallow: /*.pdf$\n",
			paths:  map[string]bool{"/a.pdf": false, "/a.pdf?x": true, "/a.html": true},
		},
		{
			name:   "malformed lines are skipped, not fatal",
			status: http.StatusOK,
			body:   "Disallow: /early\nUser-agent: *\nCrawl-delay: soon\nDisallow: /private # comment\n",
			paths:  map[string]bool{"/early": true, "/private": false, "/public": true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs := newRobotsServer(t, tt.status, tt.body)
			f := newTestFetcher(t, FetcherOptions{})

			got := map[string]bool{}
			for p := range tt.paths {
				ok, err := f.Allowed(t.Context(), rs.url+p)
				if err != nil {
					t.Fatalf("Allowed(%s): %v", p, err)
				}
				got[p] = ok
			}
			if diff := cmp.Diff(tt.paths, got); diff != "" {
				t.Errorf("Allowed mismatch (-want +got):\n%s", diff)
			}
			if got := rs.robotsHits.Load(); got != 1 {
				t.Errorf("robots.txt hits: got %d, want 1", got)
			}
		})
	}
}

func TestRobotsCacheLifetime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		advance []time.Duration // clock steps between Allowed calls
		want    int32           // robots.txt requests
	}{
		{"200 within TTL", http.StatusOK, []time.Duration{29 * time.Minute}, 1},
		{"200 after TTL", http.StatusOK, []time.Duration{31 * time.Minute}, 2},
		{"404 within TTL", http.StatusNotFound, []time.Duration{29 * time.Minute}, 1},
		{"404 after TTL", http.StatusNotFound, []time.Duration{31 * time.Minute}, 2},
		{"503 within a minute", http.StatusServiceUnavailable, []time.Duration{30 * time.Second}, 1},
		{"503 after a minute", http.StatusServiceUnavailable, []time.Duration{61 * time.Second, 61 * time.Second}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs := newRobotsServer(t, tt.status, "User-agent: *\nDisallow: /private\n")
			clock := newFakeClock()
			f := newTestFetcher(t, FetcherOptions{Now: clock.Now})

			allowed := func() {
				if _, err := f.Allowed(t.Context(), rs.url+"/x"); err != nil {
					t.Fatalf("Allowed: %v", err)
				}
			}
			allowed()
			for _, d := range tt.advance {
				clock.Advance(d)
				allowed()
			}
			if got := rs.robotsHits.Load(); got != tt.want {
				t.Errorf("robots.txt hits: got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestRobotsNetworkErrorAllows(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	url := srv.URL
	srv.Close() // nothing listens there any more
	f := newTestFetcher(t, FetcherOptions{})

	ok, err := f.Allowed(t.Context(), url+"/x")
	if err != nil || !ok {
		t.Errorf("Allowed with robots.txt unreachable: got (%v, %v), want (true, nil)", ok, err)
	}
}

func TestRobotsCrawlDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		perHost     float64
		wantDefault float64 // limiter of requests without Rate
		wantRate    float64 // limiter of requests with Rate: 5 (never above the host's)
	}{
		{"lowers the rate", "User-agent: *\nCrawl-delay: 2\n", 10, 0.5, 0.5},
		{"never raises it", "User-agent: *\nCrawl-delay: 1\n", 0.1, 0.1, 0.1},
		{"capped at one minute", "User-agent: *\nCrawl-delay: 86400\n", 10, 1.0 / 60, 1.0 / 60},
		{"absent leaves it", "User-agent: *\nDisallow: /private\n", 10, 10, 5},
		{"other agent's delay ignored", "User-agent: slowbot\nCrawl-delay: 5\n", 10, 10, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs := newRobotsServer(t, http.StatusOK, tt.body)
			f := newTestFetcher(t, FetcherOptions{PerHostRate: tt.perHost, PerHostBurst: 3})

			// The default limiter already exists (robots.txt went through it)
			// and is lowered in place; the per-request one, created after,
			// starts lowered.
			if _, err := f.Allowed(t.Context(), rs.url+"/x"); err != nil {
				t.Fatalf("Allowed: %v", err)
			}
			hs := f.acquireHost(strings.TrimPrefix(rs.url, "http://"))
			defer f.releaseHost(hs)
			got := [2]float64{float64(f.limiter(hs, 0).Limit()), float64(f.limiter(hs, 5).Limit())}
			if want := [2]float64{tt.wantDefault, tt.wantRate}; got != want {
				t.Errorf("limits (default, Rate 5): got %v, want %v", got, want)
			}
		})
	}
}

func TestAllowedLeaderCancelled(t *testing.T) {
	t.Parallel()
	var robotsHits atomic.Int32
	firstIn := make(chan struct{})
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if robotsHits.Add(1) == 1 {
			close(firstIn)
			<-r.Context().Done() // hang until the client gives up
			return
		}
		w.Write([]byte("User-agent: *\nDisallow: /private\n"))
	})
	f := newTestFetcher(t, FetcherOptions{})

	leaderCtx, cancelLeader := context.WithCancel(t.Context())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := f.Allowed(leaderCtx, srv.URL+"/private")
		leaderErr <- err
	}()
	<-firstIn
	type verdict struct {
		ok  bool
		err error
	}
	follower := make(chan verdict, 1)
	go func() {
		ok, err := f.Allowed(t.Context(), srv.URL+"/private")
		follower <- verdict{ok, err}
	}()
	cancelLeader()

	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: got error %v, want context.Canceled", err)
	}
	if v := <-follower; v.err != nil || v.ok {
		t.Errorf("other caller: got (%v, %v), want (false, nil) from a fresh fetch", v.ok, v.err)
	}
}

// TestRobotsRedirectToBlockedDisallows: a robots.txt that redirects to an
// address the egress policy blocks means "disallow", and the blocked server
// is never reached. A robots.txt redirect to an allowed place is followed as
// before.
func TestRobotsRedirectToBlockedDisallows(t *testing.T) {
	t.Parallel()
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the blocked server got %s", r.URL)
	}))
	t.Cleanup(private.Close)
	_, blockedPort, _ := net.SplitHostPort(private.Listener.Addr().String())
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasSuffix(addr, ":"+blockedPort) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%w: test", egress.ErrBlocked)}
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	var pages atomic.Int64
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.Redirect(w, r, private.URL+"/robots.txt", http.StatusMovedPermanently)
			return
		}
		pages.Add(1)
	}))
	t.Cleanup(site.Close)
	f := newTestFetcher(t, FetcherOptions{Client: &http.Client{Transport: tr}})
	ok, err := f.Allowed(t.Context(), site.URL+"/page")
	if err != nil || ok {
		t.Fatalf("Allowed = %v, %v; want disallowed", ok, err)
	}
	if _, err := f.Fetch(t.Context(), Request{URL: site.URL + "/page", RespectRobots: true}); !errors.Is(err, ErrRobotsDisallowed) {
		t.Errorf("Fetch: %v, want ErrRobotsDisallowed", err)
	}
	if n := pages.Load(); n != 0 {
		t.Errorf("the site served %d pages", n)
	}
}
