package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

const eventColumns = `id, seq, account_id, job_id, event_type, payload, state, attempts, created_at, delivered_at`

func scanEvent(s scanner) (*trawl.Event, error) {
	e, dest, finish := eventFields()
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return e, finish()
}

// scanEvents reads every event of rows (eventColumns each) and closes them.
func scanEvents(rows *sql.Rows) ([]*trawl.Event, error) {
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

// eventFields returns an event, the destinations of its eventColumns, and
// what completes it once they are scanned.
func eventFields() (*trawl.Event, []any, func() error) {
	e := &trawl.Event{}
	var payload string
	var created int64
	var delivered sql.NullInt64
	dest := []any{&e.ID, &e.Seq, &e.AccountID, &e.JobID, &e.Type, &payload, &e.State, &e.Attempts, &created, &delivered}
	return e, dest, func() error {
		e.Payload, e.CreatedAt, e.DeliveredAt = json.RawMessage(payload), fromMicros(created), fromNullMicros(delivered)
		return nil
	}
}

// InsertEvents implements store.Tx: one statement per 500 events.
func (tx *Tx) InsertEvents(es ...*trawl.Event) error {
	for chunk := range slices.Chunk(es, insertChunk) {
		if err := tx.insertEvents(chunk); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) insertEvents(es []*trawl.Event) error {
	if len(es) == 0 {
		return nil
	}
	// Events of one transaction share its clock; a microsecond per event keeps
	// their creation order visible in Events.
	args := make([]any, 0, 10*len(es))
	for _, e := range es {
		e.CreatedAt = tx.now.Add(time.Duration(tx.events) * time.Microsecond)
		tx.events++
		if e.State == "" {
			e.State = trawl.EventPending
		}
	}
	// PostgreSQL numbers events from a sequence; on SQLite the single writer
	// numbers them itself.
	if tx.db.dialect.Postgres {
		row := "(?, nextval('events_seq_seq'), ?, ?, ?, ?, ?, ?, ?, ?)"
		for _, e := range es {
			args = append(args, e.ID, e.AccountID, e.JobID, e.Type, string(e.Payload), string(e.State), e.Attempts,
				micros(e.CreatedAt), nullMicros(e.DeliveredAt))
		}
		rows, err := tx.tx.Query(tx.q(`INSERT INTO events (`+eventColumns+`) VALUES `+
			repeat(row, len(es))+` RETURNING id, seq`), args...)
		if err != nil {
			return fmt.Errorf("insert events of job %d: %w", es[0].JobID, err)
		}
		defer rows.Close()
		byID := make(map[string]*trawl.Event, len(es))
		for _, e := range es {
			byID[e.ID] = e
		}
		for rows.Next() {
			var id string
			var seq int64
			if err := rows.Scan(&id, &seq); err != nil {
				return fmt.Errorf("insert events of job %d: %w", es[0].JobID, err)
			}
			if e := byID[id]; e != nil {
				e.Seq = seq
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insert events of job %d: %w", es[0].JobID, err)
		}
		return nil
	}
	for _, e := range es {
		seq, err := tx.nextEventSeq()
		if err != nil {
			return err
		}
		e.Seq = seq
		args = append(args, e.ID, e.Seq, e.AccountID, e.JobID, e.Type, string(e.Payload), string(e.State), e.Attempts,
			micros(e.CreatedAt), nullMicros(e.DeliveredAt))
	}
	row := "(" + repeat("?", 10) + ")"
	if _, err := tx.tx.Exec(tx.q(`INSERT INTO events (`+eventColumns+`) VALUES `+
		repeat(row, len(es))), args...); err != nil {
		return fmt.Errorf("insert events of job %d: %w", es[0].JobID, err)
	}
	return nil
}

// nextEventSeq numbers the next event on a database with a single writer:
// the largest number stored, read once per process, then counted up. A
// transaction that rolls back leaves a gap, which readers of seq allow.
func (tx *Tx) nextEventSeq() (int64, error) {
	db := tx.db
	db.seqMu.Lock()
	defer db.seqMu.Unlock()
	if !db.seqRead {
		if err := tx.tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&db.seq); err != nil {
			return 0, fmt.Errorf("read the last event number: %w", err)
		}
		db.seqRead = true
	}
	db.seq++
	return db.seq, nil
}

// Outbox implements store.Tx.
func (tx *Tx) Outbox(jobID int64) (*trawl.Outbox, error) {
	o := &trawl.Outbox{JobID: jobID}
	var gone sql.NullInt64
	err := tx.tx.QueryRow(tx.q(`SELECT rows_evented_seq, flush_scheduled, finish_written, gone_at, waiting FROM outboxes
		WHERE job_id = ?`+tx.db.dialect.ForUpdate), jobID).Scan(&o.RowsEventedSeq, &o.FlushScheduled, &o.FinishWritten, &gone, &o.Waiting)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("outbox of job", jobID)
	} else if err != nil {
		return nil, fmt.Errorf("read outbox of job %d: %w", jobID, err)
	}
	o.GoneAt = fromNullMicros(gone)
	return o, nil
}

// OutboxWaiting implements store.Tx.
func (tx *Tx) OutboxWaiting(jobID int64) (int64, error) {
	var n int64
	if err := tx.tx.QueryRow(tx.q(`SELECT waiting FROM outboxes WHERE job_id = ?`), jobID).Scan(&n); err != nil {
		return 0, fmt.Errorf("read outbox of job %d: %w", jobID, err)
	}
	return n, nil
}

// UpdateOutbox implements store.Tx.
func (tx *Tx) UpdateOutbox(o *trawl.Outbox) error {
	res, err := tx.tx.Exec(tx.q(`UPDATE outboxes SET rows_evented_seq = ?, flush_scheduled = ?, finish_written = ?, gone_at = ?,
		waiting = ? WHERE job_id = ?`), o.RowsEventedSeq, o.FlushScheduled, o.FinishWritten, nullMicros(o.GoneAt), o.Waiting, o.JobID)
	if err != nil {
		return fmt.Errorf("update outbox of job %d: %w", o.JobID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("outbox of job", o.JobID)
	}
	return nil
}

// FindEvents implements store.Tx.
func (tx *Tx) FindEvents(jobID int64, f store.EventFilter) ([]*trawl.Event, error) {
	if len(f.States) == 0 {
		return nil, errors.New("find events: no state given")
	}
	query := `SELECT id, seq, account_id, job_id, event_type, state, attempts, created_at FROM events
		WHERE job_id = ? AND state IN (` + repeat("?", len(f.States)) + `)`
	args := []any{jobID}
	for _, st := range f.States {
		args = append(args, string(st))
	}
	if f.Type != "" {
		query += ` AND event_type = ?`
		args = append(args, f.Type)
	}
	if f.ExceptType != "" {
		query += ` AND event_type <> ?`
		args = append(args, f.ExceptType)
	}
	query += ` ORDER BY seq`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	if f.Lock {
		query += tx.db.dialect.ForUpdate
	}
	rows, err := tx.tx.Query(tx.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("find events of job %d: %w", jobID, err)
	}
	return scanLightEvents(rows)
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

// EventWithOutbox implements store.Tx.
func (tx *Tx) EventWithOutbox(id string) (*trawl.Event, *trawl.Outbox, error) {
	e, dest, finish := eventFields()
	cols := strings.Split(eventColumns, ",")
	for i, c := range cols {
		cols[i] = "e." + strings.TrimSpace(c)
	}
	o := &trawl.Outbox{}
	var gone sql.NullInt64
	dest = append(dest, &o.JobID, &o.RowsEventedSeq, &o.FlushScheduled, &o.FinishWritten, &gone, &o.Waiting)
	err := tx.tx.QueryRow(tx.q(`SELECT `+strings.Join(cols, ", ")+`, o.job_id, o.rows_evented_seq, o.flush_scheduled,
		o.finish_written, o.gone_at, o.waiting FROM events e JOIN outboxes o ON o.job_id = e.job_id WHERE e.id = ?`+
		tx.db.dialect.EventLock), id).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, notFound("event", id)
	} else if err != nil {
		return nil, nil, fmt.Errorf("read event %s: %w", id, err)
	}
	o.GoneAt = fromNullMicros(gone)
	return e, o, finish()
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
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT `+eventColumns+` FROM events WHERE job_id = ? ORDER BY seq`), jobID)
	if err != nil {
		return nil, fmt.Errorf("list events of job %d: %w", jobID, err)
	}
	return scanEvents(rows)
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
