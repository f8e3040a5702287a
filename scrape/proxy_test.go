package scrape

import (
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// forwardProxy is a minimal HTTP proxy: absolute-URI requests are forwarded,
// CONNECT is tunnelled. It counts the requests it handled.
type forwardProxy struct {
	*httptest.Server
	hits atomic.Int32
}

func newForwardProxy(t *testing.T) *forwardProxy {
	t.Helper()
	p := &forwardProxy{}
	upstream := &http.Transport{}
	t.Cleanup(upstream.CloseIdleConnections)
	// Tunnels outlive their handler (the connection is hijacked, so
	// httptest no longer tracks it): register them under mu, so that the
	// cleanup's Wait is ordered after every Go and no tunnel starts after it.
	var (
		mu     sync.Mutex
		closed bool
		conns  sync.WaitGroup
	)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if r.Method == http.MethodConnect {
			target, err := net.Dial("tcp", r.Host)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			client, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				target.Close()
				return
			}
			client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n"))
			mu.Lock()
			defer mu.Unlock()
			if closed {
				client.Close()
				target.Close()
				return
			}
			conns.Go(func() { pipe(client, target) })
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := upstream.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.Header().Set("Via", "1.1 test-proxy")
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(func() {
		p.Close()
		mu.Lock()
		closed = true
		mu.Unlock()
		conns.Wait()
	})
	return p
}

// pipe copies both ways until either side closes, then closes both.
func pipe(a, b net.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(a, b); done <- struct{}{} }()
	go func() { io.Copy(b, a); done <- struct{}{} }()
	<-done
	a.Close()
	b.Close()
	<-done
}

// socks5Proxy is a minimal SOCKS5 server (no authentication, CONNECT only).
type socks5Proxy struct {
	addr string
	hits atomic.Int32
}

func newSOCKS5Proxy(t *testing.T) *socks5Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &socks5Proxy{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.hits.Add(1)
			wg.Go(func() { p.serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return p
}

func (p *socks5Proxy) serve(c net.Conn) {
	fail := func() { c.Close() }
	buf := make([]byte, 262)
	// Greeting: VER NMETHODS METHODS...
	if _, err := io.ReadFull(c, buf[:2]); err != nil || buf[0] != 5 {
		fail()
		return
	}
	if _, err := io.ReadFull(c, buf[:buf[1]]); err != nil {
		fail()
		return
	}
	c.Write([]byte{5, 0}) // no authentication
	// Request: VER CMD RSV ATYP DST.ADDR DST.PORT
	if _, err := io.ReadFull(c, buf[:4]); err != nil || buf[1] != 1 {
		fail()
		return
	}
	var host string
	switch buf[3] {
	case 1:
		if _, err := io.ReadFull(c, buf[:4]); err != nil {
			fail()
			return
		}
		host = net.IP(buf[:4]).String()
	case 3:
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			fail()
			return
		}
		n := int(buf[0])
		if _, err := io.ReadFull(c, buf[:n]); err != nil {
			fail()
			return
		}
		host = string(buf[:n])
	default:
		fail()
		return
	}
	if _, err := io.ReadFull(c, buf[:2]); err != nil {
		fail()
		return
	}
	port := binary.BigEndian.Uint16(buf[:2])
	target, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(int(port))))
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0}) // connection refused
		fail()
		return
	}
	c.Write([]byte{5, 0, 0, 1, 0, 0, 0, 0, 0, 0})
	pipe(c, target)
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// proxiedFetcher returns a Fetcher whose client goes through pool.
func proxiedFetcher(t *testing.T, pool *ProxyPool, tlsConfig *tls.Config) *Fetcher {
	t.Helper()
	tr := &http.Transport{Proxy: pool.ProxyFunc(), TLSClientConfig: tlsConfig}
	t.Cleanup(tr.CloseIdleConnections)
	return newTestFetcher(t, FetcherOptions{Client: &http.Client{Transport: tr}, Proxies: pool})
}

func mustPool(t *testing.T, raw []string, o ProxyPoolOptions) *ProxyPool {
	t.Helper()
	pool, err := NewProxyPool(raw, o)
	if err != nil {
		t.Fatalf("NewProxyPool(%q): %v", raw, err)
	}
	return pool
}

func TestFetchSkipsDeadProxy(t *testing.T) {
	t.Parallel()
	plain := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("plain " + r.URL.Path)) })
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secure " + r.URL.Path))
	}))
	t.Cleanup(secure.Close)
	tlsConfig := secure.Client().Transport.(*http.Transport).TLSClientConfig

	tests := []struct {
		name string
		live func(t *testing.T) (proxyURL string, hits func() int32)
	}{
		{"http proxy", func(t *testing.T) (string, func() int32) {
			p := newForwardProxy(t)
			return p.URL, p.hits.Load
		}},
		{"socks5 proxy", func(t *testing.T) (string, func() int32) {
			p := newSOCKS5Proxy(t)
			return "socks5://" + p.addr, p.hits.Load
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			liveURL, hits := tt.live(t)
			dead := "http://" + refusedAddr(t)
			pool := mustPool(t, []string{dead, liveURL}, ProxyPoolOptions{})
			f := proxiedFetcher(t, pool, tlsConfig)

			var got []string
			for i, target := range []string{plain.URL + "/a", secure.URL + "/b", plain.URL + "/c", secure.URL + "/d"} {
				resp, err := f.Fetch(t.Context(), Request{URL: target})
				if err != nil {
					t.Fatalf("Fetch %d (%s): %v", i, target, err)
				}
				got = append(got, string(resp.Body))
			}
			want := []string{"plain /a", "secure /b", "plain /c", "secure /d"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("bodies through the proxies (-want +got):\n%s", diff)
			}
			if hits() == 0 {
				t.Errorf("the live proxy handled no request")
			}
			pool.mu.Lock()
			defer pool.mu.Unlock()
			if ps := pool.proxies[0]; ps.failures != 1 || ps.deadUntil.IsZero() {
				t.Errorf("dead proxy: %d failures, out until %v; want 1 failure and a cool-down", ps.failures, ps.deadUntil)
			}
			if ps := pool.proxies[1]; ps.failures != 0 || !ps.deadUntil.IsZero() {
				t.Errorf("live proxy: %d failures, out until %v; want none", ps.failures, ps.deadUntil)
			}
		})
	}
}

func TestFetchAllProxiesDead(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {})
	pool := mustPool(t, []string{"http://" + refusedAddr(t), "socks5://" + refusedAddr(t)}, ProxyPoolOptions{})
	f := proxiedFetcher(t, pool, nil)

	_, err := f.Fetch(t.Context(), Request{URL: srv.URL})
	if !isProxyConnectErr(err) {
		t.Fatalf("first Fetch: got %v, want a proxyconnect error", err)
	}
	if got := DescribeError(err); got != "Could not connect to the proxy." {
		t.Errorf("DescribeError: got %q", got)
	}
	_, err = f.Fetch(t.Context(), Request{URL: srv.URL})
	if !errors.Is(err, ErrNoProxy) {
		t.Fatalf("second Fetch: got %v, want ErrNoProxy", err)
	}
	if got, want := DescribeError(err), "No working proxy: every proxy in TRAWL_PROXY_URLS failed to connect recently."; got != want {
		t.Errorf("DescribeError: got %q, want %q", got, want)
	}
}

func TestProxyPoolCooldown(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	pool := mustPool(t, []string{"http://a.invalid:1", "http://b.invalid:2"}, ProxyPoolOptions{Now: clock.Now})
	a, b := pool.proxies[0].url, pool.proxies[1].url
	pick := func() string {
		u, err := pool.Proxy(nil)
		if err != nil {
			return err.Error()
		}
		return u.Host
	}

	if got := []string{pick(), pick(), pick()}; !cmp.Equal(got, []string{"a.invalid:1", "b.invalid:2", "a.invalid:1"}) {
		t.Errorf("round robin: got %v", got)
	}
	pool.fail(a)
	if got := []string{pick(), pick()}; !cmp.Equal(got, []string{"b.invalid:2", "b.invalid:2"}) {
		t.Errorf("a cooling down: got %v, want b only", got)
	}
	clock.Advance(DefaultProxyCooldown)
	pool.fail(a) // second failure in a row: two minutes
	clock.Advance(DefaultProxyCooldown + time.Second)
	if got := pick() + " " + pick(); got != "b.invalid:2 b.invalid:2" {
		t.Errorf("a after 61s of its 2m cool-down: got %v, want b only", got)
	}
	clock.Advance(DefaultProxyCooldown)
	pool.succeed(a)
	if got := pick() + " " + pick(); got != "a.invalid:1 b.invalid:2" {
		t.Errorf("a back: got %v", got)
	}
	for range 10 { // the cool-down doubles up to its cap
		pool.fail(b)
	}
	pool.mu.Lock()
	out := pool.proxies[1].deadUntil.Sub(clock.Now())
	pool.mu.Unlock()
	if out != DefaultProxyMaxCooldown {
		t.Errorf("cool-down after 10 failures: got %v, want %v", out, DefaultProxyMaxCooldown)
	}
	pool.fail(a)
	if _, err := pool.Proxy(nil); !errors.Is(err, ErrNoProxy) {
		t.Errorf("all cooling down: got %v, want ErrNoProxy", err)
	}
}

func TestNewProxyPool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw     []string
		want    []string // hosts; nil = nil pool
		wantErr bool
	}{
		{raw: nil},
		{raw: []string{"", "  "}},
		{raw: []string{"http://p1:8080", " socks5://u:pw@p2:1080 ", "https://p3", "socks5h://p4:1"}, want: []string{"p1:8080", "p2:1080", "p3", "p4:1"}},
		{raw: []string{"ftp://p:21"}, wantErr: true},
		{raw: []string{"p:8080"}, wantErr: true},
		{raw: []string{"http://"}, wantErr: true},
	}
	for _, tt := range tests {
		pool, err := NewProxyPool(tt.raw, ProxyPoolOptions{})
		if (err != nil) != tt.wantErr {
			t.Errorf("NewProxyPool(%q): error %v, want error %v", tt.raw, err, tt.wantErr)
			continue
		}
		var got []string
		if pool != nil {
			for _, ps := range pool.proxies {
				got = append(got, ps.url.Host)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("NewProxyPool(%q) hosts (-want +got):\n%s", tt.raw, diff)
		}
	}
	var none *ProxyPool
	if none.ProxyFunc() != nil || none.Len() != 0 {
		t.Errorf("a nil pool must have no proxy func and no proxies")
	}
	if u, err := none.Proxy(&http.Request{URL: &url.URL{}}); u != nil || err != nil {
		t.Errorf("nil pool Proxy: got %v, %v; want direct", u, err)
	}
}

func TestNewProxyPoolRedactsPassword(t *testing.T) {
	t.Parallel()
	_, err := NewProxyPool([]string{"ftp://user:hunter2@p:21"}, ProxyPoolOptions{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("got %v, want an error without the password", err)
	}
}
