package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Defaults applied by NewFetcher to zero (or negative) FetcherOptions fields.
// They are constants, so reading them from many goroutines is safe.
const (
	DefaultUserAgent          = "trawl/dev (+https://github.com/trawlhq/trawl)" // FetcherOptions.UserAgent
	DefaultMaxBodyBytes       = 10 << 20                                        // FetcherOptions.MaxBodyBytes (10 MiB)
	DefaultPerHostRate        = 10                                              // FetcherOptions.PerHostRate (requests/s)
	DefaultPerHostBurst       = 1                                               // FetcherOptions.PerHostBurst
	DefaultPerHostConcurrency = 4                                               // FetcherOptions.PerHostConcurrency
	DefaultMaxRetries         = 2                                               // FetcherOptions.MaxRetries
	DefaultRetryBaseDelay     = 500 * time.Millisecond                          // FetcherOptions.RetryBaseDelay
	DefaultMaxRetryAfter      = 30 * time.Second                                // FetcherOptions.MaxRetryAfter
	DefaultRobotsTTL          = 30 * time.Minute                                // FetcherOptions.RobotsTTL
)

// FetcherOptions configures a Fetcher. A zero (or negative) field takes the
// default noted beside it, except MaxRetries, where a negative value means
// "no retries" because zero already means the default.
type FetcherOptions struct {
	Client             *http.Client     // required: the egress-guarded client; NewFetcher panics without it
	UserAgent          string           // default DefaultUserAgent; also the agent matched against robots.txt groups
	MaxBodyBytes       int64            // default 10 MiB; larger bodies are cut and Response.Truncated set
	PerHostRate        float64          // requests per second per host:port, default 10
	PerHostBurst       int              // default 1
	PerHostConcurrency int              // requests in flight per host:port, default 4
	MaxRetries         int              // retries after the first try on 429/502/503/504, timeouts and connection resets; default 2, negative = none
	RetryBaseDelay     time.Duration    // default 500ms, doubled per retry with jitter; a larger Retry-After wins, up to MaxRetryAfter
	MaxRetryAfter      time.Duration    // default 30s; a longer Retry-After is not waited for: the response is returned as is
	RobotsTTL          time.Duration    // robots.txt cache lifetime per scheme+host+port, default 30m
	Now                func() time.Time // default time.Now; robots.txt expiry, Retry-After dates, pauses and eviction (rate limiters use the real clock)
	// Proxies, when set, must be the pool whose Proxy method Client's
	// transport uses. A request whose proxy cannot be connected to then
	// takes that proxy out of the rotation and is sent again through the
	// next one (at most once per proxy, on top of MaxRetries); when all are
	// out, Fetch fails with ErrNoProxy. Nil: the Fetcher knows nothing of
	// proxies (the client may still use some).
	Proxies *ProxyPool
	// Observer, when set, is told the host class and outcome of every
	// Fetch (see observe.go).
	Observer FetchObserver
	// HostLimits are the operator's limits for named hosts; PerHostRate,
	// PerHostBurst and PerHostConcurrency apply to every other host. A
	// Request.Rate above a host's rate is lowered to it: a job may only
	// be politer than the operator allows.
	HostLimits []HostLimit
	// Slots, when set, spaces the requests to each host across every node
	// that shares it (a database shared by several trawl nodes), on top of
	// this Fetcher's own limiter. Nil: the limits hold per Fetcher.
	Slots SlotSource
}

func (o *FetcherOptions) setDefaults() {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.PerHostRate <= 0 {
		o.PerHostRate = DefaultPerHostRate
	}
	if o.PerHostBurst <= 0 {
		o.PerHostBurst = DefaultPerHostBurst
	}
	if o.PerHostConcurrency <= 0 {
		o.PerHostConcurrency = DefaultPerHostConcurrency
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryBaseDelay <= 0 {
		o.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.RobotsTTL <= 0 {
		o.RobotsTTL = DefaultRobotsTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Fetcher performs polite GET requests: robots.txt (when asked), a rate limit
// and a concurrency limit per host:port shared by all its callers, bounded
// bodies and retries with backoff. A Fetcher is safe for concurrent use by
// multiple goroutines; it starts no goroutines of its own, and its per-host
// state is dropped lazily after 10 minutes unused.
type Fetcher struct {
	opts FetcherOptions

	limits *hostLimits

	mu        sync.Mutex
	hosts     map[string]*hostState   // by host:port
	robots    map[string]*robotsEntry // by scheme://host:port
	lastSweep time.Time
}

// NewFetcher returns a Fetcher using o with defaults filled in. It panics if
// o.Client is nil, which is a wiring bug rather than a runtime condition.
func NewFetcher(o FetcherOptions) *Fetcher {
	if o.Client == nil {
		panic("scrape: FetcherOptions.Client is required")
	}
	o.setDefaults()
	def := HostLimit{Rate: o.PerHostRate, Concurrency: o.PerHostConcurrency}
	return &Fetcher{
		opts:   o,
		limits: newHostLimits(def, o.HostLimits),
		hosts:  make(map[string]*hostState),
		robots: make(map[string]*robotsEntry),
	}
}

// Request is one page to fetch. It is read, not kept or modified, by Fetch.
type Request struct {
	URL string // absolute http or https URL
	// Header holds extra request headers. User-Agent is always the Fetcher's
	// (robots.txt is evaluated for it) and Accept-Encoding is dropped so the
	// transport negotiates gzip and decompresses transparently.
	Header        http.Header
	RespectRobots bool // check robots.txt first; a disallowed URL is never requested
	// Rate, when > 0 and below the host's rate, replaces it for this request
	// (per-job politeness): requests with the same Rate to the same host:port
	// share one limiter, separate from the default one, so two jobs with
	// different rates to one host add up. A Rate above the host's rate is
	// the host's rate. Concurrency and Crawl-delay still apply.
	Rate float64
}

// Response is a fetched page. Any HTTP status, including 4xx and 5xx, is a
// Response; it is owned by the caller.
type Response struct {
	URL        string      // final URL, after any redirects the client followed
	StatusCode int         // e.g. 404
	Status     string      // status text without the code, e.g. "Not Found"
	Header     http.Header // response headers (Content-Encoding is gone when the transport decompressed)
	Body       []byte      // decompressed body, at most MaxBodyBytes
	Truncated  bool        // the body was longer than MaxBodyBytes and was cut
	Attempts   int         // HTTP attempts made, 1 + retries
}

// errRateWait marks a rate-limiter wait that could not finish before the
// context deadline; it is not retried.
var errRateWait = errors.New("rate limit wait would exceed context deadline")

// fetch GETs req.URL honouring robots.txt (when req.RespectRobots), the
// per-host rate and concurrency limits (shared by all callers of this Fetcher,
// keyed by host:port) and retries: 429, 502, 503, 504, timeouts and
// connection resets are retried up to MaxRetries times with exponential
// backoff and jitter, or after Retry-After when that is larger. A Retry-After
// longer than MaxRetryAfter is not waited for; the response is returned. A
// 429 or 503 with Retry-After also pauses every request to that host for that
// long (at most MaxRetryAfter).
//
// Fetch returns an error only when no HTTP response was obtained: an invalid
// URL, a network error after retries, robots.txt disallowing the URL
// (errors.Is ErrRobotsDisallowed), every proxy of FetcherOptions.Proxies
// cooling down (errors.Is ErrNoProxy) or ctx ending (errors.Is ctx.Err()). Every
// wait is interrupted by ctx. Fetch is safe for concurrent use.
func (f *Fetcher) fetch(ctx context.Context, req Request) (*Response, error) {
	u, err := parseTarget(req.URL)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
	}
	if req.RespectRobots {
		ok, err := f.Allowed(ctx, req.URL)
		if err != nil {
			return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
		}
		if !ok {
			return nil, fmt.Errorf("fetch %s: %w", req.URL, ErrRobotsDisallowed)
		}
	}

	hs := f.acquireHost(hostKey(u))
	defer f.releaseHost(hs)
	lim := f.limiter(hs, req.Rate)

	for attempt := 1; ; attempt++ {
		canRetry := attempt <= f.opts.MaxRetries
		resp, err := f.attempt(ctx, hs, lim, req.URL, req.Header, f.opts.MaxBodyBytes)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, fmt.Errorf("fetch %s: %w", req.URL, ctxErr)
			}
			if !canRetry || !retryableErr(err) {
				return nil, fmt.Errorf("fetch %s: attempt %d: %w", req.URL, attempt, err)
			}
			if err := sleep(ctx, f.backoff(attempt)); err != nil {
				return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
			}
			continue
		}
		resp.Attempts = attempt
		if !retryableStatus(resp.StatusCode) {
			return resp, nil
		}
		ra, hasRA := parseRetryAfter(resp.Header.Get("Retry-After"), f.opts.Now())
		if hasRA && (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable) {
			f.pauseHost(hs, min(ra, f.opts.MaxRetryAfter))
		}
		if !canRetry || ra > f.opts.MaxRetryAfter {
			return resp, nil
		}
		if err := sleep(ctx, max(f.backoff(attempt), ra)); err != nil {
			return nil, fmt.Errorf("fetch %s: %w", req.URL, err)
		}
	}
}

// attempt makes one GET with once and, when the proxy it went through could
// not be connected to, takes that proxy out of the rotation and tries again
// through the next, up to once per proxy.
func (f *Fetcher) attempt(ctx context.Context, hs *hostState, lim *rate.Limiter, rawURL string, header http.Header, maxBytes int64) (*Response, error) {
	pool := f.opts.Proxies
	for try := 1; ; try++ {
		resp, used, err := f.once(ctx, hs, lim, rawURL, header, maxBytes)
		if used == nil || pool == nil {
			return resp, err
		}
		if err == nil {
			pool.succeed(used)
			return resp, nil
		}
		if !isProxyConnectErr(err) || ctx.Err() != nil {
			return nil, err
		}
		pool.fail(used)
		if try >= pool.Len() {
			return nil, fmt.Errorf("proxy %s: %w", used.Redacted(), err)
		}
	}
}

// once makes one GET through the host's pause, semaphore and limiter. The
// semaphore slot is held until the body is read and closed. used is the proxy
// the request went through, when FetcherOptions.Proxies chose one.
func (f *Fetcher) once(ctx context.Context, hs *hostState, lim *rate.Limiter, rawURL string, header http.Header, maxBytes int64) (*Response, *url.URL, error) {
	if f.opts.Proxies == nil {
		resp, err := f.send(ctx, hs, lim, rawURL, header, maxBytes)
		return resp, nil, err
	}
	ctx, rec := withProxyRecorder(ctx)
	resp, err := f.send(ctx, hs, lim, rawURL, header, maxBytes)
	return resp, rec.url.Load(), err
}

// send is once without the proxy bookkeeping.
func (f *Fetcher) send(ctx context.Context, hs *hostState, lim *rate.Limiter, rawURL string, header http.Header, maxBytes int64) (*Response, error) {
	f.mu.Lock()
	pause := hs.pauseUntil.Sub(f.opts.Now())
	f.mu.Unlock()
	if pause > 0 {
		if err := sleep(ctx, pause); err != nil {
			return nil, err
		}
	}

	select {
	case hs.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-hs.sem }()

	if err := lim.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("%w: %w", errRateWait, context.DeadlineExceeded)
	}
	if err := f.sharedSlot(ctx, hs); err != nil {
		return nil, err
	}

	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			hreq.Header.Add(k, v)
		}
	}
	hreq.Header.Del("Accept-Encoding")
	hreq.Header.Set("User-Agent", f.opts.UserAgent)

	resp, err := f.opts.Client.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	limit := maxBytes + 1
	if limit <= 0 { // maxBytes == MaxInt64
		limit = math.MaxInt64
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	truncated := int64(len(body)) > maxBytes
	if truncated {
		body = body[:maxBytes]
	}

	final := rawURL
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	return &Response{
		URL:        final,
		StatusCode: resp.StatusCode,
		Status:     statusText(resp),
		Header:     resp.Header,
		Body:       body,
		Truncated:  truncated,
	}, nil
}

// backoff is the delay before retry number attempt (1-based): RetryBaseDelay
// doubled per attempt, capped at MaxRetryAfter, then jittered into [d/2, d].
func (f *Fetcher) backoff(attempt int) time.Duration {
	d := f.opts.RetryBaseDelay
	for i := 1; i < attempt && d < f.opts.MaxRetryAfter; i++ {
		d *= 2
	}
	d = min(d, f.opts.MaxRetryAfter)
	half := d / 2
	return half + rand.N(d-half+1)
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableErr reports whether a transport error is worth another try:
// timeouts, resets and connections closed before a full response. Refused
// connections, DNS failures and egress-guard refusals are not retried.
func retryableErr(err error) bool {
	if errors.Is(err, errRateWait) {
		return false
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date,
// as a duration from now (never negative). ok is false when v is absent or
// malformed.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, int64(math.MaxInt64/time.Second))) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// statusText is the reason phrase of resp without its code.
func statusText(resp *http.Response) string {
	code := strconv.Itoa(resp.StatusCode)
	if s := strings.TrimSpace(strings.TrimPrefix(resp.Status, code)); s != "" && s != resp.Status {
		return s
	}
	return http.StatusText(resp.StatusCode)
}

// parseTarget accepts absolute http and https URLs with a host.
func parseTarget(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: scheme must be http or https", rawURL)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("url %q: missing host", rawURL)
	}
	return u, nil
}
