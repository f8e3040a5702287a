package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/temoto/robotstxt"
	"github.com/trawlhq/trawl/egress"
	"golang.org/x/time/rate"
)

// ErrRobotsDisallowed is returned, wrapped (test with errors.Is), by Fetch
// when robots.txt forbids the URL for the Fetcher's user agent. It is a
// sentinel value and never modified.
var ErrRobotsDisallowed = errors.New("disallowed by robots.txt")

const (
	// robotsMaxBytes caps the robots.txt body, as Google does (500 KiB); rules
	// past the cap are ignored.
	robotsMaxBytes = 512 << 10
	// robotsErrorTTL is how long a "could not read robots.txt" verdict (5xx,
	// 429, network error, unexpected status) is kept before asking again.
	robotsErrorTTL = time.Minute
	// maxCrawlDelay bounds a Crawl-delay so a hostile or mistaken robots.txt
	// (Crawl-delay: 86400) cannot stall a job for a day.
	maxCrawlDelay = time.Minute
)

// robotsEntry is one host's cached robots.txt verdict. The fetching caller
// fills it and closes done; others wait on done and then read the fields
// without locking (the close orders the writes before the reads).
type robotsEntry struct {
	done       chan struct{}
	group      *robotstxt.Group // rules for our agent; nil allows everything
	crawlDelay time.Duration
	expires    time.Time
	err        error // the fetching caller's context ended: no verdict
	// disallowAll is set when robots.txt redirected to a destination the
	// egress policy blocks: a site that points its rules at a private
	// address gets no benefit of the doubt.
	disallowAll bool
}

// Allowed reports whether robots.txt of rawURL's host lets the Fetcher's user
// agent fetch rawURL. It is safe for concurrent use.
//
// robots.txt is fetched once per scheme+host+port through the same client,
// rate limiter and concurrency limit as pages (no retries, body capped at
// 512 KiB) and cached for RobotsTTL; concurrent callers share one fetch.
// Verdicts:
//   - 2xx: the file's rules for our agent (the most specific matching
//     User-agent group, else "*"). A file that does not parse even after
//     dropping malformed lines allows everything.
//   - 4xx other than 429 (404, 410, 401, 403…): no usable file, allow all.
//   - a redirect to a destination the egress policy blocks: disallow all
//     (kept for one minute, like an error).
//   - 5xx, 429, other statuses, network errors: allow all, but keep the
//     verdict for one minute only. Google treats 5xx as "disallow all"; we
//     prefer not to fail a whole job on a flaky robots.txt, and re-ask soon.
//
// A Crawl-delay in our group lowers (never raises) the rate of that
// host:port's limiters to one request per delay, capped at one minute.
// The error is non-nil only for an invalid URL or when ctx ends first.
func (f *Fetcher) Allowed(ctx context.Context, rawURL string) (bool, error) {
	u, err := parseTarget(rawURL)
	if err != nil {
		return false, fmt.Errorf("robots: %w", err)
	}
	key := u.Scheme + "://" + hostKey(u)
	for {
		e, leader := f.robotsEntry(key)
		if leader {
			f.loadRobots(ctx, u, key, e)
		} else {
			select {
			case <-e.done:
			case <-ctx.Done():
				return false, fmt.Errorf("robots.txt %s: %w", key, ctx.Err())
			}
		}
		if e.err != nil {
			if leader || ctx.Err() != nil {
				return false, fmt.Errorf("robots.txt %s: %w", key, ctx.Err())
			}
			continue // the fetching caller gave up; fetch it ourselves
		}
		if e.crawlDelay > 0 {
			f.lowerRate(hostKey(u), rate.Limit(1/e.crawlDelay.Seconds()))
		}
		if e.disallowAll {
			return false, nil
		}
		if e.group == nil {
			return true, nil
		}
		return e.group.Test(robotsPath(u)), nil
	}
}

// robotsEntry returns the live cache entry for key, or a new pending one with
// leader set, in which case the caller must fill it with loadRobots.
func (f *Fetcher) robotsEntry(key string) (e *robotsEntry, leader bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e = f.robots[key]; e != nil {
		select {
		case <-e.done:
			if f.opts.Now().Before(e.expires) {
				return e, false
			}
		default:
			return e, false // being fetched
		}
	}
	e = &robotsEntry{done: make(chan struct{})}
	f.robots[key] = e
	return e, true
}

// loadRobots fetches and parses robots.txt for u into e and closes e.done.
func (f *Fetcher) loadRobots(ctx context.Context, u *url.URL, key string, e *robotsEntry) {
	defer close(e.done)

	robotsURL := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}).String()
	hs := f.acquireHost(hostKey(u))
	resp, err := f.attempt(ctx, hs, f.limiter(hs, 0), robotsURL, nil, robotsMaxBytes)
	f.releaseHost(hs)

	now := f.opts.Now()
	switch {
	case err != nil && ctx.Err() != nil:
		e.err = ctx.Err()
		f.mu.Lock()
		if f.robots[key] == e {
			delete(f.robots, key)
		}
		f.mu.Unlock()
	case err != nil && redirectBlocked(err, robotsURL):
		e.expires = now.Add(robotsErrorTTL)
		e.disallowAll = true
	case err != nil,
		resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode >= 500,
		resp.StatusCode < 200,
		resp.StatusCode >= 300 && resp.StatusCode < 400:
		e.expires = now.Add(robotsErrorTTL)
	case resp.StatusCode >= 400:
		e.expires = now.Add(f.opts.RobotsTTL)
	default:
		e.expires = now.Add(f.opts.RobotsTTL)
		data, perr := robotstxt.FromBytes(resp.Body)
		if perr != nil {
			data, perr = robotstxt.FromBytes(sanitizeRobots(resp.Body))
		}
		if perr != nil {
			return // allow all
		}
		e.group = data.FindGroup(f.opts.UserAgent)
		e.crawlDelay = min(e.group.CrawlDelay, maxCrawlDelay)
	}
}

// sanitizeRobots drops the lines robotstxt rejects outright (which would make
// it discard the whole file): rules before any User-agent line and
// Crawl-delay values that are not non-negative numbers. Real crawlers skip
// such lines and keep the rest.
func sanitizeRobots(body []byte) []byte {
	var out bytes.Buffer
	seenAgent := false
	for line := range bytes.Lines(body) {
		text := string(line)
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		field, value, _ := strings.Cut(text, ":")
		field = strings.ToLower(strings.TrimSpace(field))
		value = strings.TrimSpace(value)
		switch field {
		case "user-agent", "useragent":
			seenAgent = true
		case "allow", "disallow":
			if !seenAgent {
				continue
			}
		case "crawl-delay", "crawldelay":
			cd, err := strconv.ParseFloat(value, 64)
			if !seenAgent || err != nil || cd < 0 || math.IsInf(cd, 0) || math.IsNaN(cd) {
				continue
			}
		}
		out.Write(line)
	}
	return out.Bytes()
}

// robotsPath is the path and query robots.txt rules are matched against.
func robotsPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// redirectBlocked reports whether err is the egress policy refusing a
// redirect hop of a request for first (the http.Client names the URL it
// failed on). A refusal of first itself is not a redirect: the page on that
// host is refused too, and says so.
func redirectBlocked(err error, first string) bool {
	var ue *url.Error
	return egress.IsBlocked(err) && errors.As(err, &ue) && ue.URL != first
}
