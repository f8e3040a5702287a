package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/trawlhq/trawl"
)

// JobsChangedSince implements store.Store.
func (db *DB) JobsChangedSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Job, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+jobColumns+` FROM jobs
		WHERE account_id = ? AND updated_at > ? ORDER BY updated_at, id LIMIT ?`), accountID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list changed jobs: %w", err)
	}
	defer rows.Close()
	var out []*trawl.Job
	for rows.Next() {
		j, err := db.scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("scan job: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// AttemptsSince implements store.Store.
func (db *DB) AttemptsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.DeliveryAttempt, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT a.id, a.event_id, a.job_id, a.attempt, a.status_code, a.error_class,
		a.error, a.duration_us, a.response_excerpt, a.created_at, e.event_type, e.state
		FROM delivery_attempts a JOIN jobs j ON j.id = a.job_id JOIN events e ON e.id = a.event_id
		WHERE j.account_id = ? AND a.created_at > ? ORDER BY a.created_at, a.id LIMIT ?`), accountID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list attempts since %s: %w", since, err)
	}
	defer rows.Close()
	var out []*trawl.DeliveryAttempt
	for rows.Next() {
		a := &trawl.DeliveryAttempt{}
		var dur, created int64
		if err := rows.Scan(&a.ID, &a.EventID, &a.JobID, &a.Attempt, &a.StatusCode, &a.ErrorClass, &a.Error, &dur,
			&a.ResponseExcerpt, &created, &a.EventType, &a.EventState); err != nil {
			return nil, fmt.Errorf("scan attempt: %w", err)
		}
		a.Duration, a.CreatedAt = time.Duration(dur)*time.Microsecond, fromMicros(created)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EventsSince implements store.Store.
func (db *DB) EventsSince(ctx context.Context, accountID int64, since time.Time, limit int) ([]*trawl.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+eventColumns+` FROM events
		WHERE account_id = ? AND created_at > ? ORDER BY created_at, seq LIMIT ?`), accountID, micros(since), limit)
	if err != nil {
		return nil, fmt.Errorf("list events since %s: %w", since, err)
	}
	return scanEvents(rows)
}

// AccountAPIKeys implements store.Store.
func (db *DB) AccountAPIKeys(ctx context.Context, accountID int64) ([]*trawl.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, account_id, prefix, created_at, revoked_at FROM api_keys
		WHERE account_id = ? ORDER BY id`), accountID)
	if err != nil {
		return nil, fmt.Errorf("list api keys of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var out []*trawl.APIKey
	for rows.Next() {
		k := &trawl.APIKey{}
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.Prefix, &created, &revoked); err != nil {
			return nil, fmt.Errorf("scan api key: %w", err)
		}
		k.CreatedAt, k.RevokedAt = fromMicros(created), fromNullMicros(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// TaskProgress implements store.Store.
func (db *DB) TaskProgress(ctx context.Context, jobID int64) (done, total int64, err error) {
	err = db.read.QueryRowContext(ctx, db.q(`SELECT count(*), COALESCE(SUM(CASE WHEN state IN (?, ?) THEN 1 ELSE 0 END), 0)
		FROM tasks WHERE job_id = ?`), string(trawl.TaskDone), string(trawl.TaskCancelled), jobID).Scan(&total, &done)
	if err != nil {
		return 0, 0, fmt.Errorf("count tasks of job %d: %w", jobID, err)
	}
	return done, total, nil
}
