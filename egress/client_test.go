package egress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"code.dny.dev/ssrf"
	"github.com/google/go-cmp/cmp"
)

// errTripwire is returned by the test tripwire when the guard let through an
// address that is not loopback. It must never show up: it means the guard is
// broken, and the tripwire is what stops the packet leaving this machine.
var errTripwire = errors.New("test tripwire: guard passed a non-loopback address")

// tripwire refuses every address but loopback. Tests run it after the guard
// so that a regression in the guard fails a test instead of sending traffic
// to a private or public address.
func tripwire(_, address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%w: %s", errTripwire, address)
	}
	return nil
}

// fakeDNS answers for the names of proxied targets in tests, so that no
// test depends on (or queries) real DNS.
func fakeDNS(_ context.Context, host string) ([]netip.Addr, error) {
	answers := map[string][]string{
		"example.com":      {"93.184.215.14"},
		"example.com.123x": {"93.184.215.14"},
		"internal.test":    {"10.0.0.1"},
		"metadata.test":    {"169.254.169.254"},
		"loop.test":        {"127.0.0.2"},
		"mixed.test":       {"93.184.215.14", "10.0.0.1"},
		"mapped.test":      {"::ffff:10.0.0.1"},
	}
	a, ok := answers[strings.TrimSuffix(strings.ToLower(host), ".")]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []netip.Addr
	for _, s := range a {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// localhostOnly lets the guard pass 127.0.0.1 so it can stand in for a
// public server in tests that need the guard on and a first hop that works.
var localhostOnly = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// newTestClient builds a client like NewClient(o) with the tripwire armed,
// letting the guard pass the allow prefixes. Idle connections are closed at
// cleanup so goleak sees no stray goroutines.
func newTestClient(t *testing.T, o Options, allow ...netip.Prefix) *http.Client {
	t.Helper()
	c := newClient(o, guardConfig{allow: allow, afterGuard: tripwire, lookup: fakeDNS})
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// counter is a test server that counts the requests it receives per path.
type counter struct {
	srv   *httptest.Server
	total atomic.Int64
}

// newCounter starts a server on network ("tcp4" on 127.0.0.1 or "tcp6" on
// [::1]) that answers every request with 200 "ok", or with what route
// returns for the path if route handles it. It skips the test when the
// network has no loopback.
func newCounter(t *testing.T, network string, route func(w http.ResponseWriter, r *http.Request) bool) *counter {
	t.Helper()
	addr := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	c := &counter{}
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.total.Add(1)
		if route != nil && route(w, r) {
			return
		}
		io.WriteString(w, "ok")
	}))
	c.srv.Listener.Close()
	c.srv.Listener = ln
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counter) port() string {
	return strconv.Itoa(c.srv.Listener.Addr().(*net.TCPAddr).Port)
}

// hasIPv6 reports whether this machine can open IPv6 sockets at all; the
// guard runs after socket creation, so without IPv6 an IPv6 target fails
// before the guard is consulted.
func hasIPv6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

func get(t *testing.T, c *http.Client, target string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
	if err != nil {
		t.Fatalf("new request %s: %v", target, err)
	}
	resp, err := c.Do(req)
	if err == nil {
		t.Cleanup(func() { resp.Body.Close() })
	}
	return resp, err
}

// assertBlocked checks err is a guard refusal that survived net/http's
// wrapping, and not any other kind of failure.
func assertBlocked(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("got nil error, want a guard refusal")
	}
	if !IsBlocked(err) {
		t.Fatalf("IsBlocked(%v) = false, want true", err)
	}
	if errors.Is(err, errTripwire) || errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want a refusal before connecting", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("got %T, want the client's *url.Error wrapping", err)
	}
}

func TestBlockedByDefault(t *testing.T) {
	t.Parallel()
	v4 := newCounter(t, "tcp4", nil)
	v6Available := hasIPv6()

	tests := []struct {
		name   string
		target string
		ipv6   bool
	}{
		{name: "loopback", target: "http://127.0.0.1:" + v4.port() + "/"},
		{name: "localhost name", target: "http://localhost:" + v4.port() + "/"},
		{name: "loopback other", target: "http://127.1.2.3:" + v4.port() + "/"},
		{name: "loopback decimal", target: "http://2130706433:" + v4.port() + "/"},
		{name: "loopback hex", target: "http://0x7f000001:" + v4.port() + "/"},
		{name: "loopback short", target: "http://127.1:" + v4.port() + "/"},
		{name: "loopback octal", target: "http://0177.0.0.1:" + v4.port() + "/"},
		{name: "loopback mixed", target: "http://0x7f.0.1:" + v4.port() + "/"},
		{name: "metadata decimal", target: "http://2852039166/"},
		{name: "rfc1918 10/8", target: "http://10.0.0.1:9/"},
		{name: "rfc1918 172.16/12", target: "http://172.16.0.1:9/"},
		{name: "rfc1918 192.168/16", target: "http://192.168.1.1:9/"},
		{name: "cloud metadata", target: "http://169.254.169.254/latest/meta-data/"},
		{name: "cgnat", target: "http://100.64.0.1:9/"},
		{name: "this network", target: "http://0.0.0.0:9/"},
		{name: "multicast", target: "http://224.0.0.1:9/"},
		{name: "reserved", target: "http://240.0.0.1:9/"},
		{name: "broadcast", target: "http://255.255.255.255:9/"},
		{name: "https port", target: "https://10.0.0.1/"},
		{name: "odd port", target: "http://192.168.1.1:8443/"},
		{name: "ipv4-mapped loopback", target: "http://[::ffff:127.0.0.1]:" + v4.port() + "/"},
		{name: "ipv4-mapped metadata", target: "http://[::ffff:169.254.169.254]:9/"},
		{name: "ipv6 loopback no server", target: "http://[::1]:9/", ipv6: true},
		{name: "ipv6 unspecified", target: "http://[::]:9/", ipv6: true},
		{name: "ipv6 ula", target: "http://[fc00::1]:9/", ipv6: true},
		{name: "ipv6 ula fd", target: "http://[fd00::2]:9/", ipv6: true},
		{name: "ipv6 link-local", target: "http://[fe80::1]:9/", ipv6: true},
		{name: "nat64 loopback", target: "http://[64:ff9b::7f00:1]:9/", ipv6: true},
		{name: "ipv6 documentation", target: "http://[2001:db8::1]:9/", ipv6: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.ipv6 && !v6Available {
				t.Skip("no IPv6 on this machine")
			}
			_, err := get(t, newTestClient(t, Options{}), tt.target)
			assertBlocked(t, err)
			var oe *net.OpError
			if !errors.As(err, &oe) || oe.Op != "dial" {
				t.Errorf("got %v, want a dial *net.OpError in the chain", err)
			}
			if !errors.Is(err, ssrf.ErrProhibitedIP) {
				t.Errorf("got %v, want ssrf.ErrProhibitedIP in the chain", err)
			}
			// The text users see says why without naming an address.
			var ue *url.Error
			if errors.As(err, &ue) && ue.Err.Error() != "blocked by the egress policy" {
				t.Errorf("error text %q, want exactly \"blocked by the egress policy\"", ue.Err.Error())
			}
		})
	}
	t.Cleanup(func() {
		if got := v4.total.Load(); got != 0 {
			t.Errorf("server got %d requests, want 0", got)
		}
	})
}

func TestBlockedIPv6LoopbackServer(t *testing.T) {
	t.Parallel()
	v6 := newCounter(t, "tcp6", nil)
	_, err := get(t, newTestClient(t, Options{}), "http://[::1]:"+v6.port()+"/")
	assertBlocked(t, err)
	if got := v6.total.Load(); got != 0 {
		t.Errorf("server got %d requests, want 0", got)
	}
}

func TestAllowPrivateNetworks(t *testing.T) {
	t.Parallel()
	srv := newCounter(t, "tcp4", nil)
	c := newTestClient(t, Options{AllowPrivateNetworks: true})
	resp, err := get(t, c, srv.srv.URL+"/")
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	got := fmt.Sprintf("%d %s", resp.StatusCode, body)
	if diff := cmp.Diff("200 ok", got); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	if got := srv.total.Load(); got != 1 {
		t.Errorf("server got %d requests, want 1", got)
	}
}

// redirector answers /start with a 302 to location and /loop with a 302 to
// itself; everything else is 200.
func redirector(location string) func(http.ResponseWriter, *http.Request) bool {
	return func(w http.ResponseWriter, r *http.Request) bool {
		switch r.URL.Path {
		case "/start":
			http.Redirect(w, r, location, http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			return false
		}
		return true
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()

	t.Run("not followed by default", func(t *testing.T) {
		t.Parallel()
		srv := newCounter(t, "tcp4", redirector("/target"))
		resp, err := get(t, newTestClient(t, Options{AllowPrivateNetworks: true}), srv.srv.URL+"/start")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		got := []string{fmt.Sprint(resp.StatusCode), resp.Header.Get("Location")}
		if diff := cmp.Diff([]string{"302", "/target"}, got); diff != "" {
			t.Errorf("response mismatch (-want +got):\n%s", diff)
		}
		if got := srv.total.Load(); got != 1 {
			t.Errorf("server got %d requests, want 1 (Location must not be requested)", got)
		}
	})

	t.Run("followed when asked", func(t *testing.T) {
		t.Parallel()
		srv := newCounter(t, "tcp4", redirector("/target"))
		resp, err := get(t, newTestClient(t, Options{AllowPrivateNetworks: true, FollowRedirects: true}), srv.srv.URL+"/start")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		got := []string{fmt.Sprint(resp.StatusCode), resp.Request.URL.Path}
		if diff := cmp.Diff([]string{"200", "/target"}, got); diff != "" {
			t.Errorf("response mismatch (-want +got):\n%s", diff)
		}
		if got := srv.total.Load(); got != 2 {
			t.Errorf("server got %d requests, want 2", got)
		}
	})

	t.Run("at most ten", func(t *testing.T) {
		t.Parallel()
		srv := newCounter(t, "tcp4", redirector(""))
		_, err := get(t, newTestClient(t, Options{AllowPrivateNetworks: true, FollowRedirects: true}), srv.srv.URL+"/loop")
		if err == nil || IsBlocked(err) || !strings.Contains(err.Error(), "stopped after 10 redirects") {
			t.Fatalf("got %v, want a redirect limit error", err)
		}
		if got := srv.total.Load(); got != 11 {
			t.Errorf("server got %d requests, want 11", got)
		}
	})

	// The guard is on; 127.0.0.1 alone is let through to stand in for a
	// public first hop, and the hop it redirects to must be refused.
	blockedHops := []struct {
		name     string
		location string
		ipv6     bool
	}{
		{name: "to metadata", location: "http://169.254.169.254/latest/meta-data/"},
		{name: "to private", location: "http://10.0.0.1:9/"},
		{name: "to other loopback", location: "http://127.0.0.2:9/"},
		{name: "to ipv6 loopback", location: "http://[::1]:9/", ipv6: true},
	}
	v6Available := hasIPv6()
	for _, tt := range blockedHops {
		t.Run("guarded hop "+tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.ipv6 && !v6Available {
				t.Skip("no IPv6 on this machine")
			}
			srv := newCounter(t, "tcp4", redirector(tt.location))
			_, err := get(t, newTestClient(t, Options{FollowRedirects: true}, localhostOnly...), srv.srv.URL+"/start")
			assertBlocked(t, err)
			if got := srv.total.Load(); got != 1 {
				t.Errorf("server got %d requests, want 1", got)
			}
		})
	}
}

func TestProxy(t *testing.T) {
	t.Parallel()

	// The "proxy" is a plain local server: it answers the absolute-form
	// request itself, so nothing is ever forwarded anywhere.
	proxyTo := func(srv *counter) func(*http.Request) (*url.URL, error) {
		u, err := url.Parse(srv.srv.URL)
		if err != nil {
			t.Fatalf("parse proxy url: %v", err)
		}
		return http.ProxyURL(u)
	}

	t.Run("private proxy refused while guarded", func(t *testing.T) {
		t.Parallel()
		proxy := newCounter(t, "tcp4", nil)
		_, err := get(t, newTestClient(t, Options{Proxy: proxyTo(proxy)}), "http://example.com/")
		assertBlocked(t, err)
		if got := proxy.total.Load(); got != 0 {
			t.Errorf("proxy got %d requests, want 0", got)
		}
	})

	t.Run("private proxy used when allowed", func(t *testing.T) {
		t.Parallel()
		proxy := newCounter(t, "tcp4", nil)
		resp, err := get(t, newTestClient(t, Options{AllowPrivateNetworks: true, Proxy: proxyTo(proxy)}), "http://10.0.0.1/")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("got status %d, want 200", resp.StatusCode)
		}
		if got := proxy.total.Load(); got != 1 {
			t.Errorf("proxy got %d requests, want 1", got)
		}
	})

	// The guard is on and lets the proxy on 127.0.0.1 through, so what is
	// checked is the proxied target.
	targets := []struct {
		target  string
		blocked bool
	}{
		{target: "http://example.com/"},
		{target: "http://8.8.8.8/"},
		{target: "http://[::ffff:8.8.8.8]/"},
		{target: "http://[2606:4700::1]/"},
		{target: "http://example.com.123x/"},
		{target: "http://169.254.169.254/latest/meta-data/", blocked: true},
		{target: "http://10.0.0.1:8080/", blocked: true},
		{target: "http://[::1]/", blocked: true},
		{target: "http://[::ffff:10.0.0.1]/", blocked: true},
		{target: "http://[fe80::1%25eth0]/", blocked: true},
		{target: "http://[64:ff9b::a9fe:a9fe]/", blocked: true},
		{target: "http://localhost/", blocked: true},
		{target: "http://LOCALHOST./", blocked: true},
		{target: "http://admin.localhost/", blocked: true},
		{target: "http://167772161/", blocked: true},  // 10.0.0.1
		{target: "http://0xa9fea9fe/", blocked: true}, // 169.254.169.254
		{target: "http://0xa9.0xfe.0xa9.0xfe/", blocked: true},
		{target: "http://10.1/", blocked: true},      // 10.0.0.1
		{target: "http://012.0.0.1/", blocked: true}, // octal: 10.0.0.1
		{target: "http://0251.0376.0251.0376/", blocked: true},
		{target: "http://foo.0x7f/", blocked: true}, // numeric last label, not an address
		{target: "http://1.2.3.4.5/", blocked: true},
		{target: "http://internal.test/", blocked: true},
		{target: "http://metadata.test/", blocked: true},
		{target: "http://loop.test/", blocked: true},
		{target: "http://mixed.test/", blocked: true},
		{target: "http://mapped.test/", blocked: true},
		{target: "http://134744072/"}, // 8.8.8.8
	}
	for _, tt := range targets {
		t.Run("target "+tt.target, func(t *testing.T) {
			t.Parallel()
			proxy := newCounter(t, "tcp4", nil)
			_, err := get(t, newTestClient(t, Options{Proxy: proxyTo(proxy)}, localhostOnly...), tt.target)
			var want int64
			if tt.blocked {
				assertBlocked(t, err)
			} else {
				want = 1
				if err != nil {
					t.Fatalf("get: %v", err)
				}
			}
			if got := proxy.total.Load(); got != want {
				t.Errorf("proxy got %d requests, want %d", got, want)
			}
		})
	}
}

func TestIsBlocked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil, want: false},
		{name: "bare", err: ErrBlocked, want: true},
		{name: "wrapped", err: &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "dial", Err: fmt.Errorf("%w: %w", ErrBlocked, ssrf.ErrProhibitedIP)}}, want: true},
		{name: "ssrf error alone", err: ssrf.ErrProhibitedIP, want: false},
		{name: "connection refused", err: &url.Error{Op: "Get", URL: "http://x/", Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := IsBlocked(tt.err); got != tt.want {
				t.Errorf("IsBlocked(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()

	// settings is what NewClient/NewTransport decided, in comparable form.
	type settings struct {
		ClientTimeout         time.Duration
		ConnectTimeout        time.Duration
		ResponseHeaderTimeout time.Duration
		TLSHandshakeTimeout   time.Duration
		IdleConnTimeout       time.Duration
		MaxIdleConnsPerHost   int
		ForceAttemptHTTP2     bool
		HasProxy              bool
		SharedWithDefault     bool
	}
	defaults := settings{
		ConnectTimeout:      5 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 16,
		ForceAttemptHTTP2:   true,
	}
	tests := []struct {
		name string
		o    Options
		want func(s settings) settings
	}{
		{name: "zero", o: Options{}, want: func(s settings) settings { return s }},
		{name: "negative is default", o: Options{ConnectTimeout: -1, Timeout: -1, MaxIdleConnsPerHost: -1}, want: func(s settings) settings { return s }},
		{
			name: "set",
			o:    Options{ConnectTimeout: time.Second, Timeout: 30 * time.Second, MaxIdleConnsPerHost: 4, Proxy: http.ProxyURL(&url.URL{Scheme: "http", Host: "proxy:3128"})},
			want: func(s settings) settings {
				s.ConnectTimeout = time.Second
				s.ClientTimeout = 30 * time.Second
				s.ResponseHeaderTimeout = 30 * time.Second
				s.MaxIdleConnsPerHost = 4
				s.HasProxy = true
				return s
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewClient(tt.o)
			defer c.CloseIdleConnections()
			tr := c.Transport.(*http.Transport)
			got := settings{
				ClientTimeout:         c.Timeout,
				ConnectTimeout:        newDialer(tt.o, guardConfig{}).Timeout,
				ResponseHeaderTimeout: tr.ResponseHeaderTimeout,
				TLSHandshakeTimeout:   tr.TLSHandshakeTimeout,
				IdleConnTimeout:       tr.IdleConnTimeout,
				MaxIdleConnsPerHost:   tr.MaxIdleConnsPerHost,
				ForceAttemptHTTP2:     tr.ForceAttemptHTTP2,
				HasProxy:              tr.Proxy != nil,
				SharedWithDefault:     c == http.DefaultClient || http.RoundTripper(tr) == http.DefaultTransport,
			}
			if diff := cmp.Diff(tt.want(defaults), got); diff != "" {
				t.Errorf("settings mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialerGuard(t *testing.T) {
	t.Parallel()
	if d := newDialer(Options{AllowPrivateNetworks: true}, guardConfig{}); d.Control != nil {
		t.Error("AllowPrivateNetworks: got a Control hook, want none (no check at all)")
	}
	if d := newDialer(Options{}, guardConfig{}); d.Control == nil {
		t.Error("default: got no Control hook, want the guard")
	}
}

func TestAllowLetsThroughOnlyThePrefix(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dial := NewDialContext(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	c, err := dial(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial the allowed address: %v", err)
	}
	c.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, err = dial(context.Background(), "tcp", net.JoinHostPort("127.0.0.2", port))
	if !IsBlocked(err) {
		t.Fatalf("dial 127.0.0.2: got %v, want a guard refusal", err)
	}
}
