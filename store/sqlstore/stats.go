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
