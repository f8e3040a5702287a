package scrape

import (
	"context"
	"errors"
	"net"
	"net/http/httptrace"
	"net/netip"
	"sync/atomic"

	"github.com/trawlhq/trawl/egress"
)

// FetchObserver is told how each Fetch ended, for the metrics;
// *metrics.Metrics implements it. Fetched is called once per Fetch (retries
// included), from the fetching goroutine: it must be safe for concurrent use
// and quick.
type FetchObserver interface {
	// Fetched reports the class of the address the page was fetched from
	// (one of FetchClasses) and the outcome (one of FetchOutcomes).
	Fetched(class, outcome string)
}

// Host classes: what kind of address the last connection of a Fetch went to
// (after retries and redirects). The class is read from the connected
// address, after DNS, so a public name that resolves to a private address
// counts as private.
const (
	ClassPublic   = "public"   // any other address
	ClassPrivate  = "private"  // RFC 1918, unique local (fc00::/7), CGNAT (100.64.0.0/10), link-local
	ClassLoopback = "loopback" // 127.0.0.0/8, ::1
	ClassProxy    = "proxy"    // sent through a proxy of FetcherOptions.Proxies: the target is the proxy's to reach
	ClassNone     = "none"     // no connection was made (bad URL, robots.txt, blocked, DNS failure, refused)
)

// Fetch outcomes.
const (
	OutcomeOK       = "ok"       // a response below 400
	Outcome4xx      = "http_4xx" // a 4xx response (after retries, for 429)
	Outcome5xx      = "http_5xx" // a 5xx response (after retries)
	OutcomeTimeout  = "timeout"  // the fetch or a connection timed out
	OutcomeBlocked  = "blocked"  // the egress policy refused the address
	OutcomeRobots   = "robots"   // robots.txt disallowed the URL
	OutcomeCanceled = "canceled" // the caller gave up (job stopped, shutdown)
	OutcomeError    = "error"    // anything else: DNS, refused, reset, no working proxy, bad URL
)

// FetchClasses lists every host class, for metrics that want each series
// from the start.
func FetchClasses() []string {
	return []string{ClassPublic, ClassPrivate, ClassLoopback, ClassProxy, ClassNone}
}

// FetchOutcomes lists every fetch outcome.
func FetchOutcomes() []string {
	return []string{OutcomeOK, Outcome4xx, Outcome5xx, OutcomeTimeout, OutcomeBlocked, OutcomeRobots, OutcomeCanceled, OutcomeError}
}

// Fetch GETs req.URL politely: robots.txt when req.RespectRobots, the
// per-host rate and concurrency limits shared by every caller of f, bounded
// bodies, and retries with backoff of 429, 502, 503, 504, timeouts and
// connection resets (fetch, in fetcher.go, has the details). Any HTTP status
// is a Response; the error is set only when no response was obtained (bad
// URL, network error after retries, ErrRobotsDisallowed, ErrNoProxy, ctx
// ending). With FetcherOptions.Observer set, the observer is then told the
// host class and the outcome. Fetch is safe for concurrent use.
func (f *Fetcher) Fetch(ctx context.Context, req Request) (*Response, error) {
	obs := f.opts.Observer
	if obs == nil {
		return f.fetch(ctx, req)
	}
	conn := &lastConn{}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: conn.got})
	resp, err := f.fetch(ctx, req)
	class, outcome := conn.class(), fetchOutcome(resp, err)
	switch {
	case outcome == OutcomeRobots:
		class = ClassNone // the page was not requested (robots.txt may have been, or may be cached)
	case class != ClassNone && f.opts.Proxies != nil:
		class = ClassProxy
	}
	obs.Fetched(class, outcome)
	return resp, err
}

// lastConn keeps the class of the last connection a fetch got. Redirects and
// retries may connect more than once, from the transport's goroutines. It
// holds an index into FetchClasses, 0 (none) until a connection is made.
type lastConn struct{ c atomic.Int32 }

func (l *lastConn) got(info httptrace.GotConnInfo) {
	if info.Conn != nil {
		l.c.Store(addrClass(info.Conn.RemoteAddr()))
	}
}

func (l *lastConn) class() string { return classNames[l.c.Load()] }

// classNames are the classes lastConn records, by index.
var classNames = [...]string{ClassNone, ClassPublic, ClassPrivate, ClassLoopback}

// addrClass is the class of a connection's remote address, as an index
// into classNames.
func addrClass(a net.Addr) int32 {
	const public, private, loopback = 1, 2, 3
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return public
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return public
	}
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return loopback
	case ip.IsPrivate(), ip.IsLinkLocalUnicast(), cgnat.Contains(ip):
		return private
	}
	return public
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// fetchOutcome classifies what Fetch returned.
func fetchOutcome(resp *Response, err error) string {
	var ne net.Error
	switch {
	case err == nil && resp.StatusCode >= 500:
		return Outcome5xx
	case err == nil && resp.StatusCode >= 400:
		return Outcome4xx
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrRobotsDisallowed):
		return OutcomeRobots
	case egress.IsBlocked(err):
		return OutcomeBlocked
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return OutcomeTimeout
	}
	return OutcomeError
}
