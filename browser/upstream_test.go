package browser

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/trawlhq/trawl/scrape"
)

// upstreamProxy is an outbound HTTP proxy (TRAWL_PROXY_URLS) that records
// what it was asked to carry.
type upstreamProxy struct {
	mu       sync.Mutex
	seen     []string // "CONNECT host:port" or "GET url"
	authOK   bool
	tr       *http.Transport
	rp       *httputil.ReverseProxy
	conns    sync.WaitGroup
	hijacked []net.Conn
}

func (u *upstreamProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.authOK = r.Header.Get("Proxy-Authorization") == "Basic dXNlcjpzZWNyZXQ=" // user:secret
	if r.Method == http.MethodConnect {
		u.seen = append(u.seen, "CONNECT "+r.Host)
	} else {
		u.seen = append(u.seen, r.Method+" "+r.URL.String())
	}
	u.mu.Unlock()
	if r.Method != http.MethodConnect {
		u.rp.ServeHTTP(w, r)
		return
	}
	up, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	down, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		up.Close()
		return
	}
	u.mu.Lock()
	u.hijacked = append(u.hijacked, up, down)
	u.mu.Unlock()
	io.WriteString(down, "HTTP/1.1 200 OK\r\n\r\n")
	u.conns.Go(func() { io.Copy(up, down); up.Close() })
	u.conns.Go(func() { io.Copy(down, up); down.Close() })
}

func (u *upstreamProxy) close() {
	u.mu.Lock()
	for _, c := range u.hijacked {
		c.Close()
	}
	u.mu.Unlock()
	u.conns.Wait()
	u.tr.CloseIdleConnections()
}

func TestTrafficGoesThroughTheOutboundProxy(t *testing.T) {
	t.Parallel()
	up := &upstreamProxy{tr: &http.Transport{}}
	up.rp = &httputil.ReverseProxy{Rewrite: func(*httputil.ProxyRequest) {}, Transport: up.tr}
	upSrv := httptest.NewServer(up)
	t.Cleanup(func() { upSrv.Close(); up.close() })
	proxyURL, _ := url.Parse(upSrv.URL)
	proxyURL.User = url.UserPassword("user", "secret")

	b := setup(t, func(c *Config) {
		c.Egress.Proxy = func(*http.Request) (*url.URL, error) { return proxyURL, nil }
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<p id="x"></p><script>
const ws = new WebSocket("ws://" + location.host + "/ws");
const done = () => { document.getElementById("x").id = "done"; };
ws.onerror = done; ws.onopen = done;
</script>`)
	})
	srv := site(t, mux)

	if _, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/", WaitFor: "#done"}); err != nil {
		t.Fatal(err)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	seen := strings.Join(up.seen, "\n")
	host := strings.TrimPrefix(srv.URL, "http://")
	if !strings.Contains(seen, "GET "+srv.URL+"/") || !strings.Contains(seen, "CONNECT "+host) {
		t.Errorf("the outbound proxy carried:\n%s\nwant the page (GET) and the WebSocket (CONNECT %s)", seen, host)
	}
	if !up.authOK {
		t.Error("the outbound proxy got no credentials")
	}
}

func newUpstream(t *testing.T) (*upstreamProxy, string) {
	t.Helper()
	up := &upstreamProxy{tr: &http.Transport{}}
	up.rp = &httputil.ReverseProxy{Rewrite: func(*httputil.ProxyRequest) {}, Transport: up.tr}
	srv := httptest.NewServer(up)
	t.Cleanup(func() { srv.Close(); up.close() })
	return up, srv.URL
}

func TestLabelledProxiesAreChosenPerPage(t *testing.T) {
	t.Parallel()
	upA, urlA := newUpstream(t)
	upB, urlB := newUpstream(t)
	pool, err := scrape.NewProxyPool([]string{urlA + "#type=datacenter", urlB + "#type=residential"}, scrape.ProxyPoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, func(c *Config) { c.Egress.Proxy = pool.ProxyFunc() })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>hi</p>") })
	srv := site(t, mux)

	ctx := scrape.WithProxyLabel(context.Background(), scrape.ProxyLabel{Type: "residential"})
	for range 3 {
		if _, err := b.pool.Render(ctx, Request{URL: srv.URL + "/"}); err != nil {
			t.Fatal(err)
		}
	}
	upA.mu.Lock()
	nA := len(upA.seen)
	upA.mu.Unlock()
	upB.mu.Lock()
	nB := len(upB.seen)
	upB.mu.Unlock()
	if nA != 0 || nB == 0 {
		t.Errorf("the datacenter proxy carried %d requests and the residential one %d; want every one through the page's label, residential", nA, nB)
	}
}

func TestTheProxyServesOnlyPages(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	proxyURL, _ := url.Parse("http://" + b.pool.proxy.addr())
	tr := &http.Transport{Proxy: http.ProxyURL(proxyURL)}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://127.0.0.1:1/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusProxyAuthRequired {
		t.Errorf("a request without a page's token: got %s, want 407", resp.Status)
	}
}
