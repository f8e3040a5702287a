package scrape

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by NewProxyPool to zero ProxyPoolOptions fields.
const (
	DefaultProxyCooldown    = time.Minute      // ProxyPoolOptions.Cooldown
	DefaultProxyMaxCooldown = 10 * time.Minute // ProxyPoolOptions.MaxCooldown
)

// ErrNoProxy is returned, wrapped (test with errors.Is), by a ProxyPool's
// Proxy, and so by Fetch, when every proxy of the pool is cooling down after
// failing to connect. Nothing was sent; trying again later may succeed. It is
// a sentinel value and never modified.
var ErrNoProxy = errors.New("no working proxy")

// ProxyPoolOptions configures a ProxyPool. A zero field takes the default
// noted beside it.
type ProxyPoolOptions struct {
	Cooldown    time.Duration    // how long a proxy that failed once sits out; default 1m, doubled per failure in a row
	MaxCooldown time.Duration    // the longest sit-out; default 10m
	Now         func() time.Time // default time.Now
}

// ProxyPool hands out outbound proxies in turn (round robin) and takes a
// proxy that cannot be connected to out of the rotation for a cool-down: one
// minute after the first failure, doubling with each failure in a row up to
// ten minutes; one successful request through it resets that. When every
// proxy is cooling down, Proxy fails with ErrNoProxy rather than sending
// traffic directly.
//
// Its Proxy method is meant for egress.Options.Proxy (http.Transport.Proxy);
// handing the same pool to FetcherOptions.Proxies lets the Fetcher report
// which proxies failed and retry through the next one. Proxies may be http://,
// https:// or socks5:// (socks5h://) URLs, with user:password when they need
// it: net/http speaks HTTP CONNECT and SOCKS5 itself. A ProxyPool is safe for
// concurrent use; a nil *ProxyPool is an empty pool.
type ProxyPool struct {
	opts    ProxyPoolOptions
	mu      sync.Mutex
	proxies []*proxyState
	next    int
}

type proxyState struct {
	url       *url.URL
	label     ProxyLabel // from the entry's #type=…&country=…; zero when unlabelled
	failures  int        // connect failures in a row
	deadUntil time.Time  // out of the rotation until then
}

// NewProxyPool parses raw, a list of proxy URLs (blank entries are skipped),
// into a pool. It returns a nil pool and no error when raw holds none, and an
// error naming the entry when one is not an absolute http, https, socks5 or
// socks5h URL with a host.
func NewProxyPool(raw []string, o ProxyPoolOptions) (*ProxyPool, error) {
	if o.Cooldown <= 0 {
		o.Cooldown = DefaultProxyCooldown
	}
	if o.MaxCooldown <= 0 {
		o.MaxCooldown = DefaultProxyMaxCooldown
	}
	o.MaxCooldown = max(o.MaxCooldown, o.Cooldown)
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &ProxyPool{opts: o}
	for _, r := range raw {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		u, err := url.Parse(r)
		if err != nil || u.Host == "" || u.Hostname() == "" {
			return nil, fmt.Errorf("%q is not a proxy URL", redactProxy(r))
		}
		switch u.Scheme {
		case "http", "https", "socks5", "socks5h":
		default:
			return nil, fmt.Errorf("%q: scheme must be http, https, socks5 or socks5h", redactProxy(r))
		}
		label, err := parseProxyLabel(u.Fragment)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", redactProxy(r), err)
		}
		u.Fragment, u.RawFragment = "", ""
		p.proxies = append(p.proxies, &proxyState{url: u, label: label})
	}
	if len(p.proxies) == 0 {
		return nil, nil
	}
	return p, nil
}

// redactProxy hides a password in a proxy URL that did not parse, for error
// messages.
func redactProxy(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndexByte(raw, '@'); at >= 0 {
		return "…@" + raw[at+1:]
	}
	return raw
}

// Len returns how many proxies the pool holds (0 for a nil pool).
func (p *ProxyPool) Len() int {
	if p == nil {
		return 0
	}
	return len(p.proxies)
}

// ProxyFunc returns p.Proxy, or nil for a nil pool, so that a pool can be
// passed to egress.Options.Proxy whether or not any proxy is configured.
func (p *ProxyPool) ProxyFunc() func(*http.Request) (*url.URL, error) {
	if p == nil {
		return nil
	}
	return p.Proxy
}

// Proxy returns the next proxy in the rotation that is not cooling down, for
// http.Transport.Proxy. When all are, it returns an error wrapping
// ErrNoProxy. A nil pool returns nil: connect directly.
func (p *ProxyPool) Proxy(req *http.Request) (*url.URL, error) {
	if p == nil {
		return nil, nil
	}
	now := p.opts.Now()
	var want ProxyLabel
	if req != nil {
		want, _ = req.Context().Value(proxyLabelKey{}).(ProxyLabel)
	}
	labelled := p.Labelled()
	p.mu.Lock()
	var chosen *url.URL
	soonest := time.Duration(-1)
	for range p.proxies {
		ps := p.proxies[p.next]
		p.next = (p.next + 1) % len(p.proxies)
		if labelled && !ps.label.matches(want) {
			continue
		}
		if !now.Before(ps.deadUntil) {
			chosen = ps.url
			break
		}
		if wait := ps.deadUntil.Sub(now); soonest < 0 || wait < soonest {
			soonest = wait
		}
	}
	p.mu.Unlock()
	if chosen == nil && soonest < 0 {
		return nil, fmt.Errorf("%w: no proxy is labelled %s", ErrNoProxy, want)
	}
	if chosen == nil {
		return nil, fmt.Errorf("%w: all %d proxies failed to connect recently; the first is tried again in %s",
			ErrNoProxy, len(p.proxies), soonest.Round(time.Second))
	}
	if req != nil {
		if rec, ok := req.Context().Value(proxyUsedKey{}).(*proxyUsed); ok {
			rec.url.Store(chosen)
		}
	}
	return chosen, nil
}

// fail takes u out of the rotation for its cool-down.
func (p *ProxyPool) fail(u *url.URL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ps := range p.proxies {
		if ps.url == u {
			ps.failures++
			d := p.opts.Cooldown
			for i := 1; i < ps.failures && d < p.opts.MaxCooldown; i++ {
				d *= 2
			}
			ps.deadUntil = p.opts.Now().Add(min(d, p.opts.MaxCooldown))
			return
		}
	}
}

// succeed resets u's failure count.
func (p *ProxyPool) succeed(u *url.URL) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ps := range p.proxies {
		if ps.url == u {
			ps.failures = 0
			return
		}
	}
}

// proxyUsedKey carries a *proxyUsed in a request's context: the Fetcher puts
// one there, the pool's Proxy records its choice in it.
type proxyUsedKey struct{}

type proxyUsed struct{ url atomic.Pointer[url.URL] }

func withProxyRecorder(ctx context.Context) (context.Context, *proxyUsed) {
	rec := &proxyUsed{}
	return context.WithValue(ctx, proxyUsedKey{}, rec), rec
}

// isProxyConnectErr reports whether err is net/http's failure to reach a
// proxy: the TCP connect, or the TLS handshake with an https:// proxy. It
// says nothing about the target. (SOCKS handshake failures, which the proxy
// reports for unreachable targets too, and CONNECT refusals are not counted
// against the proxy.)
func isProxyConnectErr(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "proxyconnect"
}
