package webhook

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Resolver looks up a receiver's addresses, so that attempts are limited per
// server as well as per name. *net.Resolver implements it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// endpoint names a receiver twice: by the name in its URL and by the address
// that name resolved to. Many names for one server share its address's
// slots; one name over many addresses shares its name's.
type endpoint struct {
	name string // host:port as in the URL, lower case
	addr string // ip:port, or "" when the name did not resolve
}

// keys lists the endpoint's distinct limiter keys.
func (e endpoint) keys() []string {
	if e.addr == "" || e.addr == e.name {
		return []string{e.name}
	}
	return []string{e.name, e.addr}
}

// breakerKey is what the circuit breaker tracks: the server when known.
func (e endpoint) breakerKey() string {
	if e.addr != "" {
		return e.addr
	}
	return e.name
}

// dnsTTL is how long a resolved address is reused for keying.
const dnsTTL = 30 * time.Second

// endpoints resolves receivers' names, caching the answers briefly. It is
// safe for concurrent use.
type endpoints struct {
	resolver Resolver
	now      func() time.Time
	mu       sync.Mutex
	cache    map[string]resolved
}

type resolved struct {
	addr    netip.Addr
	expires time.Time
}

func newEndpoints(r Resolver, now func() time.Time) *endpoints {
	if r == nil {
		r = &net.Resolver{}
	}
	return &endpoints{resolver: r, now: now, cache: map[string]resolved{}}
}

// of returns the endpoint of a webhook URL. A name that does not resolve
// within a second is keyed by name alone; the attempt itself reports why.
func (e *endpoints) of(ctx context.Context, rawURL string) endpoint {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return endpoint{name: strings.ToLower(rawURL)}
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	ep := endpoint{name: net.JoinHostPort(host, port)}
	if ip, err := netip.ParseAddr(host); err == nil {
		ep.addr = net.JoinHostPort(ip.Unmap().String(), port)
		return ep
	}
	now := e.now()
	e.mu.Lock()
	r, ok := e.cache[host]
	e.mu.Unlock()
	if !ok || now.After(r.expires) {
		lctx, cancel := context.WithTimeout(ctx, time.Second)
		addrs, err := e.resolver.LookupNetIP(lctx, "ip", host)
		cancel()
		if err != nil || len(addrs) == 0 {
			return ep
		}
		r = resolved{addr: addrs[0].Unmap(), expires: now.Add(dnsTTL)}
		e.mu.Lock()
		if len(e.cache) > 10_000 { // bounded: forget everything rather than grow
			e.cache = map[string]resolved{}
		}
		e.cache[host] = r
		e.mu.Unlock()
	}
	ep.addr = net.JoinHostPort(r.addr.String(), port)
	return ep
}

// Circuit breaker settings: after breakerTrips failed attempts in a row that
// reached no answer (timeouts, refused connections), a receiver is left
// alone for breakerBase, doubling each time it trips again up to
// breakerMax; then one attempt probes it.
const (
	breakerTrips = 3
	breakerBase  = 30 * time.Second
	breakerMax   = 5 * time.Minute
)

// breakers keeps a circuit breaker per receiver, so that a receiver that
// hangs or refuses is moved out of the way instead of holding workers: while
// its breaker is open, its events wait (without spending attempts) until one
// probe is let through. It is safe for concurrent use.
type breakers struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*breaker
}

type breaker struct {
	fails     int       // failed attempts in a row
	trips     int       // times opened in a row
	openUntil time.Time // zero when closed
	probing   bool      // a probe is in flight
	probeAt   time.Time // when it was let through
}

// probeLost is how long a probe may go unreported (a node shutting down
// mid-attempt) before another is let through.
const probeLost = time.Minute

func newBreakers(now func() time.Time) *breakers {
	return &breakers{now: now, m: map[string]*breaker{}}
}

// allow reports whether an attempt to key may be made now, and if not, how
// long to wait before asking again. After the open period exactly one
// attempt (the probe) is allowed until it reports.
func (b *breakers) allow(key string) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.m[key]
	if br == nil || br.openUntil.IsZero() {
		return true, 0
	}
	now := b.now()
	if now.Before(br.openUntil) {
		return false, br.openUntil.Sub(now)
	}
	if br.probing && now.Sub(br.probeAt) < probeLost {
		return false, time.Second
	}
	br.probing, br.probeAt = true, now
	return true, 0
}

// report records an attempt's outcome: reached says whether the receiver
// answered at all (any HTTP status counts: the receiver is there).
func (b *breakers) report(key string, reached bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.m[key]
	if reached {
		if br != nil {
			delete(b.m, key)
		}
		return
	}
	if br == nil {
		if len(b.m) > 10_000 { // bounded: forget everything rather than grow
			b.m = map[string]*breaker{}
		}
		br = &breaker{}
		b.m[key] = br
	}
	br.fails++
	if br.probing || br.fails >= breakerTrips {
		br.probing = false
		br.trips++
		d := breakerBase << min(br.trips-1, 10)
		br.openUntil = b.now().Add(min(d, breakerMax))
		br.fails = 0
	}
}

// reached reports whether an attempt got an answer from the receiver.
func reached(res Result) bool {
	return res.StatusCode != 0 || (res.ErrorClass != ClassTimeout && res.ErrorClass != ClassConnection)
}
