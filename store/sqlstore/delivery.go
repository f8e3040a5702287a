package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/store"
)

// Delivery implements store.Store: one query for the events, their job,
// its account and its outbox's gone mark.
func (db *DB) Delivery(ctx context.Context, eventIDs ...string) (*store.Delivery, error) {
	if len(eventIDs) == 0 {
		return nil, errors.New("read delivery: no event given")
	}
	db.deliveryOnce.Do(func() {
		db.deliveryQuery = `SELECT ` + cols("e.", eventColumns) + `, ` + cols("j.", jobColumns) + `, ` +
			cols("a.", accountColumns) + `, o.gone_at FROM events e JOIN jobs j ON j.id = e.job_id
			JOIN accounts a ON a.id = j.account_id JOIN outboxes o ON o.job_id = e.job_id WHERE e.id IN (`
	})
	args := make([]any, len(eventIDs))
	for i, id := range eventIDs {
		args[i] = id
	}
	rows, err := db.read.QueryContext(ctx, db.q(db.deliveryQuery+repeat("?", len(eventIDs))+`) ORDER BY e.seq`), args...)
	if err != nil {
		return nil, fmt.Errorf("read delivery of event %s: %w", eventIDs[0], err)
	}
	defer rows.Close()
	d := &store.Delivery{}
	for rows.Next() {
		e, eventDest, finishEvent := eventFields()
		j, jobDest, finishJob := db.jobFields()
		a, accountDest, finishAccount := db.accountFields()
		var gone sql.NullInt64
		dest := append(append(append(eventDest, jobDest...), accountDest...), &gone)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("read delivery of event %s: %w", eventIDs[0], err)
		}
		if err := finishEvent(); err != nil {
			return nil, err
		}
		if d.Job != nil && e.JobID != d.Job.ID {
			return nil, fmt.Errorf("read delivery: events %s and %s belong to different jobs", d.Events[0].ID, e.ID)
		}
		if d.Job == nil {
			if err := errors.Join(finishJob(), finishAccount()); err != nil {
				return nil, err
			}
			d.Job, d.Account, d.GoneAt = j, a, fromNullMicros(gone)
		}
		d.Events = append(d.Events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read delivery of event %s: %w", eventIDs[0], err)
	}
	if len(d.Events) == 0 {
		return nil, notFound("event", eventIDs[0])
	}
	return d, nil
}

// LockEvents implements store.Tx.
func (tx *Tx) LockEvents(ids []string) ([]*trawl.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.tx.Query(tx.q(`SELECT id, seq, account_id, job_id, event_type, state, attempts, created_at FROM events
		WHERE id IN (`+repeat("?", len(ids))+`) ORDER BY seq`+tx.db.dialect.ForUpdate), args...)
	if err != nil {
		return nil, fmt.Errorf("lock event %s: %w", ids[0], err)
	}
	return scanLightEvents(rows)
}

// scanLightEvents reads events without payloads (id, seq, account_id,
// job_id, event_type, state, attempts, created_at) and closes rows.
func scanLightEvents(rows *sql.Rows) ([]*trawl.Event, error) {
	defer rows.Close()
	var out []*trawl.Event
	for rows.Next() {
		e := &trawl.Event{}
		var created int64
		if err := rows.Scan(&e.ID, &e.Seq, &e.AccountID, &e.JobID, &e.Type, &e.State, &e.Attempts, &created); err != nil {
			return nil, fmt.Errorf("scan event: %w", err)
		}
		e.CreatedAt = fromMicros(created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// RecordAttempts implements store.Tx: one statement for them all.
func (tx *Tx) RecordAttempts(as []*trawl.DeliveryAttempt) error {
	if len(as) == 0 {
		return nil
	}
	const cols = 9
	args := make([]any, 0, cols*len(as))
	for _, a := range as {
		if a.CreatedAt.IsZero() {
			a.CreatedAt = tx.now
		}
		args = append(args, a.EventID, a.JobID, a.Attempt, a.StatusCode, a.ErrorClass, a.Error, a.Duration.Microseconds(),
			a.ResponseExcerpt, micros(a.CreatedAt))
	}
	row := "(" + repeat("?", cols) + ")"
	_, err := tx.tx.Exec(tx.q(`INSERT INTO delivery_attempts (event_id, job_id, attempt, status_code, error_class, error,
		duration_us, response_excerpt, created_at) VALUES `+repeat(row, len(as))), args...)
	if err != nil {
		return fmt.Errorf("record %d attempts (event %s first): %w", len(as), as[0].EventID, err)
	}
	return nil
}

// UpdateEvents implements store.Tx: one statement for each set of events
// that end alike (usually one: every attempt of a batch delivered).
func (tx *Tx) UpdateEvents(es []*trawl.Event) error {
	type outcome struct {
		state     trawl.EventState
		attempts  int
		delivered int64
	}
	groups := map[outcome][]any{}
	var order []outcome
	for _, e := range es {
		k := outcome{e.State, e.Attempts, -1}
		if e.DeliveredAt != nil {
			k.delivered = micros(*e.DeliveredAt)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], e.ID)
	}
	for _, k := range order {
		ids := groups[k]
		delivered := sql.NullInt64{Int64: k.delivered, Valid: k.delivered >= 0}
		args := append([]any{string(k.state), k.attempts, delivered}, ids...)
		res, err := tx.tx.Exec(tx.q(`UPDATE events SET state = ?, attempts = ?, delivered_at = ? WHERE id IN (`+repeat("?", len(ids))+`)`), args...)
		if err != nil {
			return fmt.Errorf("update %d events (%s first): %w", len(ids), ids[0], err)
		}
		if n, _ := res.RowsAffected(); n != int64(len(ids)) {
			return fmt.Errorf("update events: %d of %d found: %w", n, len(ids), notFound("event", ids[0]))
		}
	}
	return nil
}
