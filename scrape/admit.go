package scrape

import (
	"context"
	"fmt"
)

// Admit waits until a request to rawURL may start under the same politeness
// rules Fetch applies: robots.txt when respectRobots (a disallowed URL is an
// error wrapping ErrRobotsDisallowed), any Retry-After pause of the host, a
// free concurrency slot and a token of the host's rate limiter (rate as in
// Request.Rate; 0 is the default rate). It is for requests trawl does not
// send itself, such as the documents a headless browser loads: each one
// admitted here counts against the host's rate exactly like a fetched page.
// The concurrency slot is held only while waiting, not for the request
// itself, which the caller cannot report the end of. Admit is safe for
// concurrent use; every wait is interrupted by ctx.
func (f *Fetcher) Admit(ctx context.Context, rawURL string, rate float64, respectRobots bool) error {
	u, err := parseTarget(rawURL)
	if err != nil {
		return fmt.Errorf("admit: %w", err)
	}
	if respectRobots {
		ok, err := f.Allowed(ctx, rawURL)
		if err != nil {
			return fmt.Errorf("admit %s: %w", rawURL, err)
		}
		if !ok {
			return fmt.Errorf("admit %s: %w", rawURL, ErrRobotsDisallowed)
		}
	}
	hs := f.acquireHost(hostKey(u))
	defer f.releaseHost(hs)
	lim := f.limiter(hs, rate)

	f.mu.Lock()
	pause := hs.pauseUntil.Sub(f.opts.Now())
	f.mu.Unlock()
	if pause > 0 {
		if err := sleep(ctx, pause); err != nil {
			return fmt.Errorf("admit %s: %w", rawURL, err)
		}
	}
	select {
	case hs.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("admit %s: %w", rawURL, ctx.Err())
	}
	defer func() { <-hs.sem }()
	if err := lim.Wait(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("admit %s: %w", rawURL, ctxErr)
		}
		return fmt.Errorf("admit %s: %w: %w", rawURL, errRateWait, context.DeadlineExceeded)
	}
	if err := f.sharedSlot(ctx, hs); err != nil {
		return fmt.Errorf("admit %s: %w", rawURL, err)
	}
	return nil
}
