package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// ReserveSlots implements scrape.SlotSource over the shared database: one
// statement moves the host's next free slot n slots on, starting no earlier
// than now less tolerance, and says how far from now the first reserved slot
// is. On PostgreSQL "now" is the database's clock, so the nodes' own clocks
// need not agree; elsewhere (one node) it is the store's clock.
func (db *DB) ReserveSlots(ctx context.Context, host string, n int, every, tolerance time.Duration) (time.Duration, error) {
	span := int64(n) * every.Microseconds()
	if span <= 0 {
		span = int64(n) // a rate above 1,000,000/s is not allowed, but stay monotonic
	}
	tol := tolerance.Microseconds()
	var wait int64
	var err error
	if db.dialect.Postgres {
		err = db.write.QueryRowContext(ctx, `WITH c AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now)
			INSERT INTO host_slots AS s (host, next_at) SELECT $1, c.now + $2::bigint FROM c
			ON CONFLICT (host) DO UPDATE SET next_at = GREATEST(s.next_at, (SELECT now FROM c) - $3::bigint) + $2::bigint
			RETURNING next_at - $2::bigint - (SELECT now FROM c)`, host, span, tol).Scan(&wait)
	} else {
		now := micros(db.now())
		err = db.write.QueryRowContext(ctx, `INSERT INTO host_slots AS s (host, next_at) VALUES (?, ? + ?)
			ON CONFLICT (host) DO UPDATE SET next_at = MAX(s.next_at, ? - ?) + ?
			RETURNING next_at - ? - ?`, host, now, span, now, tol, span, span, now).Scan(&wait)
	}
	if err != nil {
		return 0, fmt.Errorf("reserve %d slots of %s: %w", n, host, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}
