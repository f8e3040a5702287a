package jobs

import (
	"context"
	"log/slog"
	"time"
)

// PromoteInterval is how often Promote makes due jobs available: the
// precision of webhook retry delays and of the batching window.
const PromoteInterval = 200 * time.Millisecond

// Promote calls due every interval until ctx ends, so that River jobs
// scheduled for later (webhook retries, row flushes) start on time. It
// returns when ctx is done.
func Promote(ctx context.Context, interval time.Duration, due func(context.Context) (int64, error), log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := due(ctx); err != nil && ctx.Err() == nil {
				log.Warn("promote due jobs", "err", err)
			}
		}
	}
}
