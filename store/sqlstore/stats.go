package sqlstore

import (
	"context"
	"fmt"

	"github.com/trawlhq/trawl"
)

// JobCounts counts jobs by status; every status is present.
func (db *DB) JobCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, s := range trawl.Statuses() {
		out[string(s)] = 0
	}
	rows, err := db.read.QueryContext(ctx, `SELECT status, count(*) FROM jobs GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int64
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[status] = n
	}
	return out, rows.Err()
}

// QueueDepth counts River's unfinished jobs by queue and state.
func (db *DB) QueueDepth(ctx context.Context) (map[[2]string]int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT queue, state, count(*) FROM river_job
		WHERE state IN ('available', 'pending', 'running', 'retryable', 'scheduled') GROUP BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("queue depth: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]int64{}
	for rows.Next() {
		var queue, state string
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			return nil, err
		}
		out[[2]string{queue, state}] = n
	}
	return out, rows.Err()
}
