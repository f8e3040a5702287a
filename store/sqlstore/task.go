package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/trawlhq/trawl"
)

const taskColumns = `id, job_id, task_key, payload, state, created_at`

func scanTask(s scanner) (*trawl.Task, error) {
	t := &trawl.Task{}
	var payload string
	var created int64
	if err := s.Scan(&t.ID, &t.JobID, &t.Key, &payload, &t.State, &created); err != nil {
		return nil, err
	}
	t.Payload, t.CreatedAt = json.RawMessage(payload), fromMicros(created)
	return t, nil
}

// Task implements store.Store.
func (db *DB) Task(ctx context.Context, id int64) (*trawl.Task, error) {
	t, err := scanTask(db.read.QueryRowContext(ctx, db.q(`SELECT `+taskColumns+` FROM tasks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("task", id)
	} else if err != nil {
		return nil, fmt.Errorf("read task %d: %w", id, err)
	}
	return t, nil
}

// Task implements store.Tx.
func (tx *Tx) Task(id int64) (*trawl.Task, error) {
	t, err := scanTask(tx.tx.QueryRow(tx.q(`SELECT `+taskColumns+` FROM tasks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("task", id)
	} else if err != nil {
		return nil, fmt.Errorf("read task %d: %w", id, err)
	}
	return t, nil
}

// InsertTasks implements store.Tx.
func (tx *Tx) InsertTasks(jobID int64, specs []trawl.TaskSpec) ([]*trawl.Task, error) {
	var out []*trawl.Task
	for _, s := range specs {
		t := &trawl.Task{JobID: jobID, Key: s.Key, Payload: s.Payload, State: trawl.TaskPending, CreatedAt: tx.now}
		if len(t.Payload) == 0 {
			t.Payload = json.RawMessage("{}")
		}
		err := tx.tx.QueryRow(tx.q(`INSERT INTO tasks (job_id, task_key, payload, state, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (job_id, task_key) DO NOTHING RETURNING id`),
			jobID, t.Key, string(t.Payload), string(t.State), micros(t.CreatedAt)).Scan(&t.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue // the job has this task already
		} else if err != nil {
			return nil, fmt.Errorf("insert task of job %d: %w", jobID, err)
		}
		out = append(out, t)
	}
	if len(out) > 0 {
		if _, err := tx.tx.Exec(tx.q(`UPDATE jobs SET task_count = task_count + ? WHERE id = ?`), len(out), jobID); err != nil {
			return nil, fmt.Errorf("count tasks of job %d: %w", jobID, err)
		}
	}
	return out, nil
}

// SetTaskState implements store.Tx.
func (tx *Tx) SetTaskState(id int64, state trawl.TaskState, from ...trawl.TaskState) (bool, error) {
	query := `UPDATE tasks SET state = ? WHERE id = ?`
	args := []any{string(state), id}
	if len(from) > 0 {
		query += ` AND state IN (?` + strings.Repeat(`, ?`, len(from)-1) + `)`
		for _, f := range from {
			args = append(args, string(f))
		}
	}
	res, err := tx.tx.Exec(tx.q(query), args...)
	if err != nil {
		return false, fmt.Errorf("set task %d %s: %w", id, state, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// CancelPendingTasks implements store.Tx.
func (tx *Tx) CancelPendingTasks(jobID int64) (int64, error) {
	res, err := tx.tx.Exec(tx.q(`UPDATE tasks SET state = ? WHERE job_id = ? AND state = ?`),
		string(trawl.TaskCancelled), jobID, string(trawl.TaskPending))
	if err != nil {
		return 0, fmt.Errorf("cancel tasks of job %d: %w", jobID, err)
	}
	return res.RowsAffected()
}

// HasOpenTasks implements store.Tx.
func (tx *Tx) HasOpenTasks(jobID int64) (bool, error) {
	var one int
	err := tx.tx.QueryRow(tx.q(`SELECT 1 FROM tasks WHERE job_id = ? AND state IN (?, ?) LIMIT 1`),
		jobID, string(trawl.TaskPending), string(trawl.TaskRunning)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("look for open tasks of job %d: %w", jobID, err)
	}
	return true, nil
}
