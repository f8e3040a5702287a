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
