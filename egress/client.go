package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// Defaults applied when the corresponding Options field is zero, and the
// fixed transport timeouts.
const (
	defaultConnectTimeout      = 5 * time.Second
	defaultMaxIdleConnsPerHost = 16
	maxIdleConns               = 100
	keepAlive                  = 30 * time.Second
	idleConnTimeout            = 90 * time.Second
	tlsHandshakeTimeout        = 10 * time.Second
	expectContinueTimeout      = 1 * time.Second
	maxRedirects               = 10
)

// ErrBlocked is the error every guard refusal wraps. Match it with
// errors.Is (or [IsBlocked]); the http.Client wraps it in *url.Error and the
// dialer in *net.OpError, and both unwrap to it. The refusal also wraps the
// underlying code.dny.dev/ssrf error (for example ssrf.ErrProhibitedIP) when
// the connect-time check made it. A blocked request never reached the
// destination and retrying it cannot succeed.
var ErrBlocked = errors.New("blocked by the egress policy")

// IsBlocked reports whether err, possibly wrapped in *url.Error,
// *net.OpError or fmt.Errorf("...: %w"), is a refusal by the egress guard.
// It is false for nil and for ordinary network errors such as connection
// refused or timeouts.
func IsBlocked(err error) bool {
	return errors.Is(err, ErrBlocked)
}

// Options configure a guarded client. The zero value is the safe default:
// guard on, direct connections, no redirects followed.
type Options struct {
	// AllowPrivateNetworks lifts the guard entirely: no address is checked,
	// neither the target's nor the proxy's. Set it when trawl runs inside a
	// private network (--allow-private-networks) and in tests against
	// 127.0.0.1.
	AllowPrivateNetworks bool

	// ConnectTimeout bounds each dial (TCP connect, including DNS
	// resolution). Zero or negative means 5s.
	ConnectTimeout time.Duration

	// Timeout bounds the whole request, redirects and reading the body
	// included (http.Client.Timeout), and also sets the transport's
	// ResponseHeaderTimeout. Zero or negative means none: the caller bounds
	// requests with their context.
	Timeout time.Duration

	// Proxy, when non-nil, picks the proxy for each request, as
	// http.Transport.Proxy does; returning a nil URL sends that request
	// directly. Nil means every request is direct. The environment
	// (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) is never consulted. With the guard
	// on, the connection to the proxy is checked like any other (a proxy on
	// a private address is refused) and proxied targets are checked as far as
	// they can be without resolving them; see the package documentation.
	Proxy func(*http.Request) (*url.URL, error)

	// FollowRedirects false (the default) never follows a redirect: the 3xx
	// response is returned as-is, body unread, for the caller to inspect.
	// True follows up to 10 redirects, every hop dialled through the guard;
	// the 11th is an error.
	FollowRedirects bool

	// MaxIdleConnsPerHost caps idle pooled connections per host. Zero or
	// negative means 16.
	MaxIdleConnsPerHost int

	// Allow lists prefixes the guard lets through although they lie in a
	// refused range, leaving every other refusal in place: one internal host
	// an operator means to reach, or, in tests, exactly the address of a
	// local test server. Nil allows nothing extra. Ignored when
	// AllowPrivateNetworks is set (everything is allowed then).
	Allow []netip.Prefix

	// AllowHosts are host names (or IP literals) the guard lets through by
	// name, whatever they resolve to: a service the operator configured
	// explicitly on a private address, such as a local LLM server
	// (TRAWL_LLM_URL). Matching is exact and case-insensitive, without the
	// port; every other host is guarded as usual.
	AllowHosts []string
}

// guardConfig holds knobs that exist only so this package's tests can run
// the guard without sending traffic anywhere but 127.0.0.1. Production code
// always uses the zero value.
type guardConfig struct {
	// allow lists prefixes the guard lets through although they are in a
	// refused range (tests allow exactly 127.0.0.1/32 to stand in for a
	// public server).
	allow []netip.Prefix
	// afterGuard, if set, runs in Control after the guard has passed an
	// address; tests use it as a tripwire that refuses anything that is not
	// loopback.
	afterGuard func(network, address string) error
	// lookup, if set, replaces DNS for the names of proxied targets, so
	// tests can make a name resolve to a private address.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
}

// with returns cfg with o.Allow added to its allowed prefixes.
func (cfg guardConfig) with(o Options) guardConfig {
	if len(o.Allow) == 0 {
		return cfg
	}
	allow := slices.Clone(cfg.allow)
	for _, p := range o.Allow {
		if !slices.Contains(allow, p) {
			allow = append(allow, p)
		}
	}
	cfg.allow = allow
	return cfg
}

// NewTransport returns a new *http.Transport whose every connection is
// checked by the egress guard described in the package documentation,
// configured by o. It shares nothing with http.DefaultTransport or any other
// global. The transport is safe for concurrent use and owns a connection
// pool: build one per purpose, reuse it, and call CloseIdleConnections when
// done with it. Options.Timeout sets ResponseHeaderTimeout here;
// FollowRedirects and the whole-request timeout only take effect through
// [NewClient].
func NewTransport(o Options) *http.Transport {
	return newTransport(o, guardConfig{})
}

// NewClient returns a new *http.Client built on [NewTransport](o), with
// Options.Timeout as its Timeout and a redirect policy set by
// Options.FollowRedirects. It never returns or modifies http.DefaultClient.
// The client is safe for concurrent use and should be reused; call
// CloseIdleConnections when done with it.
func NewClient(o Options) *http.Client {
	return newClient(o, guardConfig{})
}

func newClient(o Options, cfg guardConfig) *http.Client {
	c := &http.Client{
		Transport:     newTransport(o, cfg),
		CheckRedirect: checkRedirect(o.FollowRedirects),
	}
	if o.Timeout > 0 {
		c.Timeout = o.Timeout
	}
	return c
}

func newTransport(o Options, cfg guardConfig) *http.Transport {
	cfg = cfg.with(o)
	perHost := o.MaxIdleConnsPerHost
	if perHost <= 0 {
		perHost = defaultMaxIdleConnsPerHost
	}
	t := &http.Transport{
		DialContext:           allowHosts(o, dialNumeric(newDialer(o, cfg).DialContext)),
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   perHost,
		IdleConnTimeout:       idleConnTimeout,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ExpectContinueTimeout: expectContinueTimeout,
	}
	if o.Timeout > 0 {
		t.ResponseHeaderTimeout = o.Timeout
	}
	if o.Proxy != nil {
		t.Proxy = o.Proxy
		if !o.AllowPrivateNetworks {
			t.Proxy = guardProxy(o.Proxy, newGuardian(cfg), cfg.lookup)
		}
	}
	return t
}

// newDialer returns the dialer all connections (to targets and to proxies)
// are made with. The guard lives in its Control hook, which runs after DNS
// resolution and socket creation but before connect, once per address tried.
func newDialer(o Options, cfg guardConfig) *net.Dialer {
	cfg = cfg.with(o)
	timeout := o.ConnectTimeout
	if timeout <= 0 {
		timeout = defaultConnectTimeout
	}
	d := &net.Dialer{Timeout: timeout, KeepAlive: keepAlive}
	var g *ssrf.Guardian
	if !o.AllowPrivateNetworks {
		g = newGuardian(cfg)
	}
	if g == nil && cfg.afterGuard == nil {
		return d
	}
	d.Control = func(network, address string, c syscall.RawConn) error {
		if g != nil {
			if err := g.Safe(network, address, c); err != nil {
				return blocked(err)
			}
		}
		if cfg.afterGuard != nil {
			return cfg.afterGuard(network, address)
		}
		return nil
	}
	return d
}

// newGuardian returns the ssrf guard: tcp4/tcp6 only, any port, the
// library's built-in deny lists.
func newGuardian(cfg guardConfig) *ssrf.Guardian {
	opts := []ssrf.Option{ssrf.WithAnyPort()}
	var v4, v6 []netip.Prefix
	for _, p := range cfg.allow {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	if len(v4) > 0 {
		opts = append(opts, ssrf.WithAllowedV4Prefixes(v4...))
	}
	if len(v6) > 0 {
		opts = append(opts, ssrf.WithAllowedV6Prefixes(v6...))
	}
	return ssrf.New(opts...)
}

// dialNumeric dials numeric host spellings (2130706433, 0x7f.1, 127.1) as
// the addresses they are, so the guard judges the address a browser or a
// proxy would reach instead of sending the number to the resolver, and
// makes every refusal a blockedError, whose text names no address.
func dialNumeric(dial func(ctx context.Context, network, address string) (net.Conn, error)) func(ctx context.Context, network, address string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		if host, port, err := net.SplitHostPort(address); err == nil {
			addr, numeric, err := ParseHost(host)
			if err != nil {
				return nil, blocked(err)
			}
			if numeric {
				address = net.JoinHostPort(addr.String(), port)
			}
		}
		conn, err := dial(ctx, network, address)
		if err != nil && IsBlocked(err) {
			return nil, &blockedError{cause: err}
		}
		return conn, err
	}
}

// guardProxy wraps proxy so that a request about to be sent through a proxy
// is checked first: an address (in any spelling) must be allowed, and a
// name is resolved by trawl and refused when any of its addresses is not.
// The connection to the proxy itself is checked by the dialer like any
// other.
func guardProxy(proxy func(*http.Request) (*url.URL, error), g *ssrf.Guardian,
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)) func(*http.Request) (*url.URL, error) {
	if lookup == nil {
		r := &net.Resolver{}
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) { return r.LookupNetIP(ctx, "ip", host) }
	}
	return func(req *http.Request) (*url.URL, error) {
		u, err := proxy(req)
		if err != nil || u == nil {
			return u, err
		}
		if err := checkProxiedHost(req.Context(), g, lookup, req.URL.Hostname()); err != nil {
			return nil, err
		}
		return u, nil
	}
}

// checkProxiedHost refuses a proxied target host that is, or resolves to, an
// address in a refused range, or that is a localhost name.
func checkProxiedHost(ctx context.Context, g *ssrf.Guardian, lookup func(ctx context.Context, host string) ([]netip.Addr, error), host string) error {
	addr, numeric, err := ParseHost(host)
	if err != nil {
		return blocked(err)
	}
	if numeric {
		if err := g.SafeAddr(addr); err != nil {
			return blocked(err)
		}
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return blocked(fmt.Errorf("proxied target %q is a loopback name", host))
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return fmt.Errorf("resolve %s before sending it to the proxy: %w", host, err)
	}
	for _, a := range addrs {
		if err := g.SafeAddr(a.Unmap()); err != nil {
			return blocked(err)
		}
	}
	return nil
}

// endsInNumber reports whether name's last label is a decimal or 0x-prefixed
// number, the WHATWG URL rule for "this host is an IPv4 address" (so
// 2130706433, 0x7f.1 and 127.1 are all 127.0.0.1 to many parsers). No real
// top-level domain is numeric.
func endsInNumber(name string) bool {
	label := name[strings.LastIndexByte(name, '.')+1:]
	if label == "" {
		return false
	}
	if rest, ok := strings.CutPrefix(label, "0x"); ok {
		return strings.Trim(rest, "0123456789abcdef") == ""
	}
	return strings.Trim(label, "0123456789") == ""
}

// checkRedirect returns the http.Client redirect policy for follow.
func checkRedirect(follow bool) func(*http.Request, []*http.Request) error {
	if !follow {
		return func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return func(_ *http.Request, via []*http.Request) error {
		// via holds the requests already sent: the first plus one per
		// redirect followed so far.
		if len(via) > maxRedirects {
			return fmt.Errorf("egress: stopped after %d redirects", maxRedirects)
		}
		return nil
	}
}

// allowHosts returns dial, or, when o names hosts to let through, a dial
// that connects to those hosts without the guard.
func allowHosts(o Options, dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if len(o.AllowHosts) == 0 || o.AllowPrivateNetworks {
		return dial
	}
	plain := newDialer(Options{ConnectTimeout: o.ConnectTimeout, AllowPrivateNetworks: true}, guardConfig{})
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, _, err := net.SplitHostPort(addr)
		if err == nil && slices.ContainsFunc(o.AllowHosts, func(h string) bool { return strings.EqualFold(strings.Trim(h, "[]"), host) }) {
			return plain.DialContext(ctx, network, addr)
		}
		return dial(ctx, network, addr)
	}
}
