package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

const jobColumns = `id, account_id, scraper, status, stop_reason, input, params, webhook, row_limit,
	credits_spent, data_rows_count, task_count, created_at, updated_at, started_at, finished_at`

type scanner interface{ Scan(dest ...any) error }

func (db *DB) scanJob(s scanner) (*trawl.Job, error) {
	j, dest, finish := db.jobFields()
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return j, finish()
}

// jobFields returns a job, the destinations of its jobColumns, and what
// completes it once they are scanned.
func (db *DB) jobFields() (*trawl.Job, []any, func() error) {
	j := &trawl.Job{}
	var stopReason, webhook sql.NullString
	var input, params string
	var created, updated int64
	var started, finished sql.NullInt64
	dest := []any{&j.ID, &j.AccountID, &j.Scraper, &j.Status, &stopReason, &input, &params, &webhook, &j.Limit,
		&j.CreditsSpent, &j.DataRowsCount, &j.TaskCount, &created, &updated, &started, &finished}
	return j, dest, func() error {
		j.StopReason = stopReason.String
		j.Input, j.Params = json.RawMessage(input), json.RawMessage(params)
		if webhook.Valid && webhook.String != "" {
			plain, err := db.open(webhook.String)
			if err != nil {
				return fmt.Errorf("webhook of job %d: %w", j.ID, err)
			}
			j.Webhook = &trawl.Webhook{}
			if err := json.Unmarshal([]byte(plain), j.Webhook); err != nil {
				return fmt.Errorf("decode webhook of job %d: %w", j.ID, err)
			}
		}
		j.CreatedAt, j.UpdatedAt = fromMicros(created), fromMicros(updated)
		j.StartedAt, j.FinishedAt = fromNullMicros(started), fromNullMicros(finished)
		return nil
	}
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// Job implements store.Store.
func (db *DB) Job(ctx context.Context, accountID, id int64) (*trawl.Job, error) {
	query := `SELECT ` + jobColumns + ` FROM jobs WHERE id = ?`
	args := []any{id}
	if accountID > 0 {
		query += ` AND account_id = ?`
		args = append(args, accountID)
	}
	j, err := db.scanJob(db.read.QueryRowContext(ctx, db.q(query), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("job", id)
	} else if err != nil {
		return nil, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// Jobs implements store.Store.
func (db *DB) Jobs(ctx context.Context, f store.JobFilter) ([]*trawl.Job, int64, error) {
	where := ` WHERE account_id = ?`
	args := []any{f.AccountID}
	if f.Status != "" {
		where += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	if f.Scraper != "" {
		where += ` AND scraper = ?`
		args = append(args, f.Scraper)
	}
	if f.BeforeID > 0 {
		where += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	var total int64
	if f.BeforeID == 0 {
		if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM jobs`+where), args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count jobs: %w", err)
		}
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+jobColumns+` FROM jobs`+where+` ORDER BY id DESC LIMIT ? OFFSET ?`),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []*trawl.Job
	for rows.Next() {
		j, err := db.scanJob(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("scan job: %w", err)
		}
		out = append(out, j)
	}
	return out, total, rows.Err()
}

// CreateJob implements store.Tx.
func (tx *Tx) CreateJob(j *trawl.Job) error {
	j.CreatedAt, j.UpdatedAt = tx.now, tx.now
	var webhook sql.NullString
	if j.Webhook != nil {
		b, err := json.Marshal(j.Webhook)
		if err != nil {
			return fmt.Errorf("encode webhook: %w", err)
		}
		webhook = sql.NullString{String: tx.db.seal(string(b)), Valid: true}
	}
	// The header values are kept, sealed, in the webhook column only: the
	// input that records show gets their names and a mask.
	j.Input = trawl.MaskWebhookHeaders(j.Input)
	insert := `INSERT INTO jobs (account_id, scraper, status, stop_reason, input, params, webhook, row_limit,
		credits_spent, data_rows_count, task_count, created_at, updated_at,
		started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, NULL, NULL) RETURNING id`
	if tx.db.dialect.Postgres {
		// The job and its outbox in one statement: one round trip less
		// for every create.
		insert = `WITH job AS (` + insert + `), outbox AS (INSERT INTO outboxes (job_id) SELECT id FROM job) SELECT id FROM job`
	}
	err := tx.tx.QueryRow(tx.q(insert),
		j.AccountID, j.Scraper, string(j.Status), nullString(j.StopReason), string(j.Input), string(j.Params), webhook, j.Limit,
		micros(j.CreatedAt), micros(j.UpdatedAt)).Scan(&j.ID)
	if err != nil {
		return fmt.Errorf("insert job: %w", err)
	}
	if tx.db.dialect.Postgres {
		return nil
	}
	if _, err := tx.tx.Exec(tx.q(`INSERT INTO outboxes (job_id) VALUES (?)`), j.ID); err != nil {
		return fmt.Errorf("insert outbox of job %d: %w", j.ID, err)
	}
	return nil
}

// Job implements store.Tx.
func (tx *Tx) Job(id int64) (*trawl.Job, error) {
	j, err := tx.db.scanJob(tx.tx.QueryRow(tx.q(`SELECT `+jobColumns+` FROM jobs WHERE id = ?`+tx.db.dialect.ForUpdate), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("job", id)
	} else if err != nil {
		return nil, fmt.Errorf("read job %d: %w", id, err)
	}
	return j, nil
}

// UpdateJob implements store.Tx.
func (tx *Tx) UpdateJob(j *trawl.Job) error {
	j.UpdatedAt = tx.now
	res, err := tx.tx.Exec(tx.q(`UPDATE jobs SET status = ?, stop_reason = ?, credits_spent = ?, data_rows_count = ?,
		updated_at = ?, started_at = ?, finished_at = ? WHERE id = ?`),
		string(j.Status), nullString(j.StopReason), j.CreditsSpent, j.DataRowsCount,
		micros(j.UpdatedAt), nullMicros(j.StartedAt), nullMicros(j.FinishedAt), j.ID)
	if err != nil {
		return fmt.Errorf("update job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("job", j.ID)
	}
	return nil
}

// Tx is a store.Tx over a database/sql transaction.
type Tx struct {
	ctx    context.Context // the transaction's own: it began under it
	tx     *sql.Tx
	db     *DB
	now    time.Time
	events int // events inserted so far
}

var _ store.Tx = (*Tx)(nil)

// Enqueue implements store.Tx.
func (tx *Tx) Enqueue(jobs ...river.InsertManyParams) error {
	if len(jobs) == 0 {
		return nil
	}
	q := tx.db.queue.Load()
	if q == nil {
		return errors.New("enqueue: no engine is attached to this store")
	}
	return (*q).InsertTx(tx.ctx, tx.tx, jobs)
}

func (tx *Tx) q(query string) string { return tx.db.q(query) }
