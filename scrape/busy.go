package scrape

import (
	"fmt"
	"time"
)

// BusyError says a task should step aside rather than wait: its host is
// saturated, so another task (for another host) can use the worker while
// this one waits out Wait.
type BusyError struct {
	Host string
	Wait time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("host %s is busy for %v", e.Host, e.Wait.Round(time.Millisecond))
}

// Busy returns a *BusyError when a request to rawURL would have to wait
// longer than patience for its host (a Retry-After pause, the per-host rate
// limit with the requests already queued for it, or every concurrency slot
// taken), and nil when it could go about now. It reserves nothing: it lets a
// scraper give its worker to other hosts' tasks instead of blocking in Fetch.
func (f *Fetcher) Busy(rawURL string, patience time.Duration) error {
	u, err := parseTarget(rawURL)
	if err != nil {
		return nil // Fetch reports the bad URL
	}
	key := hostKey(u)
	f.mu.Lock()
	defer f.mu.Unlock()
	hs := f.hosts[key]
	if hs == nil {
		return nil
	}
	wait := hs.pauseUntil.Sub(f.opts.Now())
	if lim := hs.limiters[0]; lim != nil && lim.Limit() > 0 {
		if tokens := lim.Tokens(); tokens < 1 {
			wait = max(wait, time.Duration((1-tokens)/float64(lim.Limit())*float64(time.Second)))
		}
	}
	if len(hs.sem) == cap(hs.sem) {
		// Every slot is taken: a request frees one in about a rate interval.
		wait = max(wait, patience+time.Millisecond)
	}
	if wait <= patience {
		return nil
	}
	return &BusyError{Host: key, Wait: wait}
}
