package scrape

import (
	"math"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	// hostIdleTTL is how long a host's limiter and semaphore live unused before
	// they are dropped; hostSweepEvery bounds how often the map is scanned.
	hostIdleTTL    = 10 * time.Minute
	hostSweepEvery = time.Minute
	// maxRateLimiters bounds the per-request-rate limiters kept per host.
	maxRateLimiters = 8
)

// hostState is the politeness state of one host:port. Fields other than sem
// are guarded by Fetcher.mu.
type hostState struct {
	key        string    // host:port
	limit      HostLimit // the operator's limit of this host
	sem        chan struct{}
	limiters   map[float64]*rate.Limiter // key 0 is the PerHostRate limiter
	crawlLimit rate.Limit                // from robots.txt Crawl-delay; 0 = none
	pauseUntil time.Time                 // from a Retry-After on 429/503
	refs       int
	lastUsed   time.Time

	// The slots of FetcherOptions.Slots this node holds, oldest first.
	slotMu sync.Mutex
	slots  []time.Time
}

// acquireHost returns the state for key, creating it if needed, and pins it
// against eviction until releaseHost.
func (f *Fetcher) acquireHost(key string) *hostState {
	f.mu.Lock()
	defer f.mu.Unlock()
	hs := f.hostLocked(key)
	hs.refs++
	return hs
}

func (f *Fetcher) releaseHost(hs *hostState) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hs.refs--
	hs.lastUsed = f.opts.Now()
}

// hostLocked returns (creating) the state of key and, at most once a
// minute, drops hosts unused for hostIdleTTL and expired robots entries.
// f.mu must be held.
func (f *Fetcher) hostLocked(key string) *hostState {
	now := f.opts.Now()
	if now.Sub(f.lastSweep) >= hostSweepEvery {
		f.lastSweep = now
		for k, hs := range f.hosts {
			if hs.refs == 0 && now.Sub(hs.lastUsed) >= hostIdleTTL {
				delete(f.hosts, k)
			}
		}
		for k, e := range f.robots {
			select {
			case <-e.done:
				if !now.Before(e.expires) {
					delete(f.robots, k)
				}
			default: // still being fetched
			}
		}
	}
	hs := f.hosts[key]
	if hs == nil {
		limit := f.limits.of(hostnameOf(key))
		hs = &hostState{
			key:      key,
			limit:    limit,
			sem:      make(chan struct{}, limit.Concurrency),
			limiters: make(map[float64]*rate.Limiter),
		}
		f.hosts[key] = hs
	}
	hs.lastUsed = now
	return hs
}

// limiter returns the limiter of hs for a per-request rate r (0 = the
// host's rate; a rate above the host's is the host's).
func (f *Fetcher) limiter(hs *hostState, r float64) *rate.Limiter {
	if !(r > 0) || math.IsInf(r, 1) || r >= hs.limit.Rate { // also NaN
		r = 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if lim := hs.limiters[r]; lim != nil {
		return lim
	}
	if len(hs.limiters) >= maxRateLimiters {
		// Forget one other rate's limiter; it restarts with a full burst.
		for k := range hs.limiters {
			if k != 0 {
				delete(hs.limiters, k)
				break
			}
		}
	}
	limit, burst := rate.Limit(hs.limit.Rate), f.opts.PerHostBurst
	if r > 0 {
		limit = rate.Limit(r)
	}
	if hs.crawlLimit > 0 && hs.crawlLimit < limit {
		limit, burst = hs.crawlLimit, 1
	}
	lim := rate.NewLimiter(limit, burst)
	hs.limiters[r] = lim
	return lim
}

// pauseHost holds back new requests to hs for d.
func (f *Fetcher) pauseHost(hs *hostState, d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if until := f.opts.Now().Add(d); until.After(hs.pauseUntil) {
		hs.pauseUntil = until
	}
}

// lowerRate caps every limiter of host key at limit (Crawl-delay), never
// raising one.
func (f *Fetcher) lowerRate(key string, limit rate.Limit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hs := f.hostLocked(key)
	if hs.crawlLimit == 0 || limit < hs.crawlLimit {
		hs.crawlLimit = limit
	}
	for _, lim := range hs.limiters {
		if lim.Limit() > hs.crawlLimit {
			lim.SetLimit(hs.crawlLimit)
			lim.SetBurst(1)
		}
	}
}

// hostKey is host:port with the scheme's default port filled in, lower-cased.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
