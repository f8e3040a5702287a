package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/trawlhq/trawl/client"
)

// pollEvery is how often a waiter reads the job's record.
const pollEvery = 500 * time.Millisecond

// waiter follows a job until it ends, drawing a progress line on a
// terminal's standard error.
type waiter struct {
	e     *env
	cl    *client.Client
	quiet bool
	drawn bool
	start time.Time
}

// wait polls the job until it is terminal and returns its last record. On
// a terminal it redraws one line: status, rows (with a bar when the job has
// a limit), credits and time elapsed; when the job ends it prints a summary.
func (w *waiter) wait(ctx context.Context, j *client.Job) (*client.Job, error) {
	show := !w.quiet && isTerminal(w.e.stderr)
	if w.start.IsZero() {
		w.start = time.Now()
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if show {
			w.draw(j)
		}
		if j.Terminal() {
			break
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-tick.C:
		}
		next, err := w.cl.Job(ctx, j.ID)
		if err != nil {
			if ctx.Err() != nil {
				return j, ctx.Err()
			}
			return j, err
		}
		j = next
	}
	if show {
		w.clear()
		fmt.Fprintf(w.e.stderr, "job %d %s: %d rows, %d credits, %s\n", j.ID, j.Status, j.DataRowsCount, j.CreditsSpent, elapsed(time.Since(w.start)))
	}
	return j, nil
}

// draw rewrites the progress line.
func (w *waiter) draw(j *client.Job) {
	var b strings.Builder
	fmt.Fprintf(&b, "\r\033[Kjob %d %s %-11s ", j.ID, j.Scraper.Slug, j.Status)
	if limit := j.Limit(); limit > 0 {
		b.WriteString(bar(j.DataRowsCount, limit, 24))
		fmt.Fprintf(&b, " %d/%d rows", j.DataRowsCount, limit)
	} else {
		fmt.Fprintf(&b, "%d rows", j.DataRowsCount)
	}
	fmt.Fprintf(&b, "  %d credits  %s", j.CreditsSpent, elapsed(time.Since(w.start)))
	fmt.Fprint(w.e.stderr, b.String())
	w.drawn = true
}

// clear erases the progress line, if one is drawn.
func (w *waiter) clear() {
	if w.drawn {
		fmt.Fprint(w.e.stderr, "\r\033[K")
		w.drawn = false
	}
}

// bar is a progress bar of width cells for n of total.
func bar(n, total int64, width int) string {
	if total <= 0 {
		return ""
	}
	full := int(min(n, total) * int64(width) / total)
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "]"
}

// elapsed shows d as m:ss (or h:mm:ss).
func elapsed(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
