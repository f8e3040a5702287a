package scrape

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/egress"
)

// fetchRecorder is a FetchObserver that keeps what it is told.
type fetchRecorder struct {
	mu   sync.Mutex
	seen [][2]string
}

func (r *fetchRecorder) Fetched(class, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, [2]string{class, outcome})
}

// TestFetchObserver fetches from local servers with each outcome and checks
// the class and outcome the observer is told, once per Fetch.
func TestFetchObserver(t *testing.T) {
	t.Parallel()
	site := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			w.Write([]byte("User-agent: *\nDisallow: /private\n"))
		case "/missing":
			http.NotFound(w, r)
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/hang":
			<-r.Context().Done()
		default:
			w.Write([]byte("<p>hello</p>"))
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	proxy := newForwardProxy(t)

	guarded := egress.NewClient(egress.Options{}) // the default: loopback refused
	t.Cleanup(guarded.CloseIdleConnections)
	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	tests := []struct {
		name    string
		url     string
		robots  bool
		client  *http.Client
		proxies []string
		ctx     func() (context.Context, context.CancelFunc)
		want    [2]string
	}{
		{name: "ok", url: site.URL + "/", want: [2]string{ClassLoopback, OutcomeOK}},
		{name: "404", url: site.URL + "/missing", want: [2]string{ClassLoopback, Outcome4xx}},
		{name: "500", url: site.URL + "/broken", want: [2]string{ClassLoopback, Outcome5xx}},
		{name: "robots", url: site.URL + "/private", robots: true, want: [2]string{ClassNone, OutcomeRobots}},
		{name: "robots allow", url: site.URL + "/", robots: true, want: [2]string{ClassLoopback, OutcomeOK}},
		{name: "blocked", url: site.URL + "/", client: guarded, want: [2]string{ClassNone, OutcomeBlocked}},
		{name: "refused", url: refused, want: [2]string{ClassNone, OutcomeError}},
		{name: "bad url", url: "ftp://example.org/", want: [2]string{ClassNone, OutcomeError}},
		{name: "canceled", url: site.URL + "/", ctx: func() (context.Context, context.CancelFunc) { return canceled, func() {} },
			want: [2]string{ClassNone, OutcomeCanceled}},
		{name: "timeout", url: site.URL + "/hang", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 50*time.Millisecond) // the server never answers: any deadline times out
		}, want: [2]string{ClassLoopback, OutcomeTimeout}},
		{name: "proxy", url: site.URL + "/", proxies: []string{proxy.URL}, want: [2]string{ClassProxy, OutcomeOK}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &fetchRecorder{}
			o := FetcherOptions{Client: tt.client, Observer: rec, MaxRetries: -1}
			if tt.proxies != nil {
				o.Proxies = mustPool(t, tt.proxies, ProxyPoolOptions{})
				tr := &http.Transport{Proxy: o.Proxies.ProxyFunc()}
				t.Cleanup(tr.CloseIdleConnections)
				o.Client = &http.Client{Transport: tr}
			}
			f := newTestFetcher(t, o)
			ctx, cancel := t.Context(), context.CancelFunc(func() {})
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			_, _ = f.Fetch(ctx, Request{URL: tt.url, RespectRobots: tt.robots})
			if diff := cmp.Diff([][2]string{tt.want}, rec.seen); diff != "" {
				t.Errorf("observed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddrClass(t *testing.T) {
	t.Parallel()
	for ip, want := range map[string]string{
		"127.0.0.1": ClassLoopback, "::1": ClassLoopback, "::ffff:127.0.0.1": ClassLoopback,
		"10.1.2.3": ClassPrivate, "192.168.0.9": ClassPrivate, "172.16.0.1": ClassPrivate, "100.64.0.1": ClassPrivate,
		"169.254.169.254": ClassPrivate, "fd00::1": ClassPrivate, "fe80::1": ClassPrivate,
		"93.184.216.34": ClassPublic, "2606:2800:220:1::1": ClassPublic,
	} {
		if got := classNames[addrClass(&net.TCPAddr{IP: net.ParseIP(ip), Port: 80})]; got != want {
			t.Errorf("addrClass(%s) = %s, want %s", ip, got, want)
		}
	}
}

// BenchmarkFetchObserver is the cost of telling an observer about each
// fetch (an httptrace hook and a counter) next to the same fetch of a small
// local page without one, in the same run.
func BenchmarkFetchObserver(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<p>hi</p>")) }))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		obs  FetchObserver
	}{{"none", nil}, {"observer", &countingObserver{}}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			f := NewFetcher(FetcherOptions{Client: &http.Client{Transport: tr}, PerHostRate: 1e9, PerHostBurst: 1 << 30, Observer: bc.obs})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.Fetch(b.Context(), Request{URL: srv.URL + "/"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type countingObserver struct{ n atomic.Int64 }

func (c *countingObserver) Fetched(string, string) { c.n.Add(1) }
