package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/trawlhq/trawl"
)

const eventColumns = `id, job_id, event_type, payload, state, attempts, created_at, delivered_at`

func scanEvent(s scanner) (*trawl.Event, error) {
	e := &trawl.Event{}
	var payload string
	var created int64
	var delivered sql.NullInt64
	if err := s.Scan(&e.ID, &e.JobID, &e.Type, &payload, &e.State, &e.Attempts, &created, &delivered); err != nil {
		return nil, err
	}
	e.Payload, e.CreatedAt, e.DeliveredAt = json.RawMessage(payload), fromMicros(created), fromNullMicros(delivered)
	return e, nil
}

// InsertEvent implements store.Tx.
func (tx *Tx) InsertEvent(e *trawl.Event) error {
	// Events of one transaction share its clock; a microsecond per event keeps
	// their creation order visible in Events.
	e.CreatedAt = tx.now.Add(time.Duration(tx.events) * time.Microsecond)
	tx.events++
	if e.State == "" {
		e.State = trawl.EventPending
	}
	if _, err := tx.tx.Exec(tx.q(`INSERT INTO events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.JobID, e.Type, string(e.Payload), string(e.State), e.Attempts, micros(e.CreatedAt), nullMicros(e.DeliveredAt)); err != nil {
		return fmt.Errorf("insert event of job %d: %w", e.JobID, err)
	}
	return nil
}

// Event implements store.Tx.
func (tx *Tx) Event(id string) (*trawl.Event, error) {
	e, err := scanEvent(tx.tx.QueryRow(tx.q(`SELECT `+eventColumns+` FROM events WHERE id = ?`+tx.db.dialect.ForUpdate), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event", id)
	} else if err != nil {
		return nil, fmt.Errorf("read event %s: %w", id, err)
	}
	return e, nil
}

// UpdateEvent implements store.Tx.
func (tx *Tx) UpdateEvent(e *trawl.Event) error {
	res, err := tx.tx.Exec(tx.q(`UPDATE events SET state = ?, attempts = ?, delivered_at = ? WHERE id = ?`),
		string(e.State), e.Attempts, nullMicros(e.DeliveredAt), e.ID)
	if err != nil {
		return fmt.Errorf("update event %s: %w", e.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("event", e.ID)
	}
	return nil
}

// RecordAttempt implements store.Tx.
func (tx *Tx) RecordAttempt(a *trawl.DeliveryAttempt) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = tx.now
	}
	err := tx.tx.QueryRow(tx.q(`INSERT INTO delivery_attempts (event_id, job_id, attempt, status_code, error_class, error,
		duration_us, response_excerpt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		a.EventID, a.JobID, a.Attempt, a.StatusCode, a.ErrorClass, a.Error, a.Duration.Microseconds(), a.ResponseExcerpt,
		micros(a.CreatedAt)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("record attempt %d of event %s: %w", a.Attempt, a.EventID, err)
	}
	return nil
}

// Event implements store.Store.
func (db *DB) Event(ctx context.Context, id string) (*trawl.Event, error) {
	e, err := scanEvent(db.read.QueryRowContext(ctx, db.q(`SELECT `+eventColumns+` FROM events WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("event", id)
	} else if err != nil {
		return nil, fmt.Errorf("read event %s: %w", id, err)
	}
	return e, nil
}

// Events implements store.Store.
func (db *DB) Events(ctx context.Context, jobID int64) ([]*trawl.Event, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+eventColumns+` FROM events WHERE job_id = ? ORDER BY created_at, id`), jobID)
	if err != nil {
		return nil, fmt.Errorf("list events of job %d: %w", jobID, err)
	}
	defer rows.Close()
	var out []*trawl.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Attempts implements store.Store.
func (db *DB) Attempts(ctx context.Context, jobID, offset, limit int64) ([]*trawl.DeliveryAttempt, int64, error) {
	var total int64
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM delivery_attempts WHERE job_id = ?`), jobID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count attempts of job %d: %w", jobID, err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT a.id, a.event_id, a.job_id, a.attempt, a.status_code, a.error_class,
		a.error, a.duration_us, a.response_excerpt, a.created_at, e.event_type, e.state
		FROM delivery_attempts a JOIN events e ON e.id = a.event_id
		WHERE a.job_id = ? ORDER BY a.id LIMIT ? OFFSET ?`), jobID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list attempts of job %d: %w", jobID, err)
	}
	defer rows.Close()
	var out []*trawl.DeliveryAttempt
	for rows.Next() {
		a := &trawl.DeliveryAttempt{}
		var dur, created int64
		if err := rows.Scan(&a.ID, &a.EventID, &a.JobID, &a.Attempt, &a.StatusCode, &a.ErrorClass, &a.Error, &dur,
			&a.ResponseExcerpt, &created, &a.EventType, &a.EventState); err != nil {
			return nil, 0, fmt.Errorf("scan attempt: %w", err)
		}
		a.Duration, a.CreatedAt = time.Duration(dur)*time.Microsecond, fromMicros(created)
		out = append(out, a)
	}
	return out, total, rows.Err()
}
