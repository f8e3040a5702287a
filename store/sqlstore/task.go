package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
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

// StartTasks implements store.Store.
func (db *DB) StartTasks(ctx context.Context, ids []int64) ([]*trawl.Task, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+3)
	args = append(args, string(trawl.TaskRunning))
	for _, id := range ids {
		args = append(args, id)
	}
	args = append(args, string(trawl.TaskPending), string(trawl.TaskRunning))
	rows, err := db.write.QueryContext(ctx, db.q(`UPDATE tasks SET state = ? WHERE id IN (`+repeat("?", len(ids))+`)
		AND state IN (?, ?) RETURNING `+taskColumns), args...)
	if err != nil {
		return nil, fmt.Errorf("start %d tasks: %w", len(ids), err)
	}
	var out []*trawl.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("start %d tasks: %w", len(ids), err)
		}
		out = append(out, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("start %d tasks: %w", len(ids), err)
	}
	return out, nil
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

// InsertTasks implements store.Tx. Several tasks go in one statement: one
// round trip for a batch of pages' links.
func (tx *Tx) InsertTasks(jobID int64, specs []trawl.TaskSpec) ([]*trawl.Task, error) {
	// One task per key: a key twice in one statement would be a conflict
	// the statement cannot skip.
	seen := make(map[string]bool, len(specs))
	var all []*trawl.Task
	for _, s := range specs {
		if seen[s.Key] {
			continue
		}
		seen[s.Key] = true
		t := &trawl.Task{JobID: jobID, Key: s.Key, Payload: s.Payload, State: trawl.TaskPending, CreatedAt: tx.now}
		if len(t.Payload) == 0 {
			t.Payload = json.RawMessage("{}")
		}
		all = append(all, t)
	}
	hosts := make(map[string]string, len(specs))
	for _, s := range specs {
		if _, ok := hosts[s.Key]; !ok {
			hosts[s.Key] = s.Host
		}
	}
	var out []*trawl.Task
	for chunk := range slices.Chunk(all, insertChunk) {
		args := make([]any, 0, 7*len(chunk))
		for _, t := range chunk {
			args = append(args, jobID, jobID, t.Key, string(t.Payload), string(t.State), micros(t.CreatedAt), hosts[t.Key])
		}
		rows, err := tx.tx.Query(tx.q(`INSERT INTO tasks (job_id, account_id, task_key, payload, state, created_at, host) VALUES `+
			repeat("(?, (SELECT account_id FROM jobs WHERE id = ?), ?, ?, ?, ?, ?)", len(chunk))+
			` ON CONFLICT (job_id, task_key) DO NOTHING RETURNING id, task_key`), args...)
		if err != nil {
			return nil, fmt.Errorf("insert tasks of job %d: %w", jobID, err)
		}
		ids := map[string]int64{}
		for rows.Next() {
			var id int64
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insert tasks of job %d: %w", jobID, err)
			}
			ids[key] = id
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("insert tasks of job %d: %w", jobID, err)
		}
		for _, t := range chunk { // in the order given, whatever order RETURNING used
			if id, ok := ids[t.Key]; ok {
				t.ID = id
				out = append(out, t)
			}
		}
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
		query += ` AND state IN (` + repeat("?", len(from)) + `)`
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

// SetTasksState implements store.Tx.
func (tx *Tx) SetTasksState(ids []int64, state trawl.TaskState, from ...trawl.TaskState) ([]int64, error) {
	var out []int64
	for chunk := range slices.Chunk(ids, 500) {
		query := `UPDATE tasks SET state = ? WHERE id IN (` + repeat("?", len(chunk)) + `)`
		args := []any{string(state)}
		for _, id := range chunk {
			args = append(args, id)
		}
		if len(from) > 0 {
			query += ` AND state IN (` + repeat("?", len(from)) + `)`
			for _, f := range from {
				args = append(args, string(f))
			}
		}
		rows, err := tx.tx.Query(tx.q(query+` RETURNING id`), args...)
		if err != nil {
			return nil, fmt.Errorf("set %d tasks %s: %w", len(chunk), state, err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("set %d tasks %s: %w", len(chunk), state, err)
			}
			out = append(out, id)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("set %d tasks %s: %w", len(chunk), state, err)
		}
	}
	return out, nil
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

// DispatchTasks implements store.Tx. It locks the account's row, which orders
// the dispatches of one account on PostgreSQL.
//
// Its work is bounded by the hosts that can take tasks, not by the tasks
// waiting: jobs whose tasks all wait for a full host (a thousand Google Maps
// jobs behind one host's concurrency) are skipped inside one index lookup
// instead of being visited one by one.
func (tx *Tx) DispatchTasks(accountID int64, limit, burst int, hostLimit func(host string) int) ([]*trawl.Task, error) {
	var cursor int64
	err := tx.tx.QueryRow(tx.q(`SELECT dispatch_cursor FROM accounts WHERE id = ?`+tx.db.dialect.ForUpdate), accountID).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("account", accountID)
	} else if err != nil {
		return nil, fmt.Errorf("dispatch tasks of account %d: %w", accountID, err)
	}
	d := dispatch{tx: tx, account: accountID, hostLimit: hostLimit, room: map[string]int{}}
	inFlight, err := d.countInFlight()
	if err != nil {
		return nil, err
	}
	free := limit - inFlight
	burst = max(burst, 1)
	if inFlight > 0 && free < min(burst, limit) {
		// Too few slots free for a turn: the tasks in flight call again as
		// they end, and a whole turn then goes in one enqueue.
		return nil, nil
	}
	if free <= 0 {
		return nil, nil
	}
	if err := d.findOpenHosts(); err != nil {
		return nil, err
	}
	var out []*trawl.Task
	pos := cursor
	wrapped, progress := false, false
	for free > 0 && (d.many || len(d.open) > 0) {
		jobID, err := d.nextJob(pos)
		if err != nil {
			return nil, err
		}
		if jobID == 0 {
			if wrapped && !progress {
				break // a whole round found nothing that may go
			}
			pos, wrapped, progress = 0, true, false
			continue
		}
		pos = jobID
		tasks, err := d.take(jobID, min(free, burst))
		if err != nil {
			return nil, err
		}
		if len(tasks) > 0 {
			out = append(out, tasks...)
			free -= len(tasks)
			cursor, progress = jobID, true
		}
	}
	if len(out) > 0 {
		if _, err := tx.tx.Exec(tx.q(`UPDATE accounts SET dispatch_cursor = ? WHERE id = ?`), cursor, accountID); err != nil {
			return nil, fmt.Errorf("dispatch tasks of account %d: %w", accountID, err)
		}
	}
	return out, nil
}

// maxOpenHosts bounds the hosts one dispatch looks for jobs on by name. An
// account with more hosts that can take tasks is served by skipping the full
// ones instead (see nextJob).
const maxOpenHosts = 32

// dispatch is one DispatchTasks call's view of the account's hosts.
type dispatch struct {
	tx        *Tx
	account   int64
	hostLimit func(host string) int
	// room is how many more tasks of a host may be queued; a host not in
	// it has none of the account's tasks in flight.
	room map[string]int
	// open are the hosts with tasks waiting that can take more, when there
	// are at most maxOpenHosts of them; many is set when there are more.
	open []string
	many bool
}

// countInFlight counts the account's tasks queued or running, and notes per
// host how many more may go.
func (d *dispatch) countInFlight() (int, error) {
	rows, err := d.tx.tx.Query(d.tx.q(`SELECT host, count(*) FROM tasks WHERE account_id = ? AND queued = TRUE AND state IN (?, ?)
		GROUP BY host`), d.account, string(trawl.TaskPending), string(trawl.TaskRunning))
	if err != nil {
		return 0, fmt.Errorf("count tasks in flight of account %d: %w", d.account, err)
	}
	total := 0
	for rows.Next() {
		var host string
		var n int
		if err := rows.Scan(&host, &n); err != nil {
			rows.Close()
			return 0, fmt.Errorf("count tasks in flight of account %d: %w", d.account, err)
		}
		total += n
		if host != "" && d.hostLimit != nil {
			d.room[host] = d.hostLimit(host) - n
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("count tasks in flight of account %d: %w", d.account, err)
	}
	return total, nil
}

// findOpenHosts lists the hosts the account has tasks waiting for and room
// to run more of, in one statement that reads one index entry a host (a
// loose index scan). Only tasks in flight fill a host, so it reads at most
// as many full hosts as the account has tasks in flight before it has found
// maxOpenHosts open ones.
func (d *dispatch) findOpenHosts() error {
	full := 0
	for _, room := range d.room {
		if room <= 0 {
			full++
		}
	}
	rows, err := d.tx.tx.Query(d.tx.q(`WITH RECURSIVE waiting (host) AS (
			SELECT (SELECT host FROM tasks WHERE account_id = ? AND state = ? AND queued = FALSE ORDER BY host LIMIT 1)
			UNION ALL
			SELECT (SELECT t.host FROM tasks t WHERE t.account_id = ? AND t.state = ? AND t.queued = FALSE AND t.host > waiting.host
				ORDER BY t.host LIMIT 1)
			FROM waiting WHERE waiting.host IS NOT NULL)
		SELECT host FROM waiting WHERE host IS NOT NULL LIMIT ?`),
		d.account, string(trawl.TaskPending), d.account, string(trawl.TaskPending), maxOpenHosts+full+1)
	if err != nil {
		return fmt.Errorf("hosts of account %d: %w", d.account, err)
	}
	defer rows.Close()
	for rows.Next() {
		var host string
		if err := rows.Scan(&host); err != nil {
			return fmt.Errorf("hosts of account %d: %w", d.account, err)
		}
		if d.roomOf(host) <= 0 {
			continue
		}
		if len(d.open) == maxOpenHosts {
			d.open, d.many = nil, true
			break
		}
		d.open = append(d.open, host)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("hosts of account %d: %w", d.account, err)
	}
	return nil
}

// nextJob is the account's first job after pos with a task waiting that
// may go now, or 0 when there is none. With few open hosts it looks up the
// first such job of each of them (one index seek each, in one statement);
// with many, it walks the account's waiting tasks in job order and steps
// over those of full hosts.
func (d *dispatch) nextJob(pos int64) (int64, error) {
	var query string
	var args []any
	if d.many {
		query = `SELECT job_id FROM tasks WHERE account_id = ? AND state = ? AND queued = FALSE AND job_id > ?`
		args = []any{d.account, string(trawl.TaskPending), pos}
		var full []any
		for host, room := range d.room {
			if room <= 0 {
				full = append(full, host)
			}
		}
		if len(full) > 0 {
			query += ` AND host NOT IN (` + repeat("?", len(full)) + `)`
			args = append(args, full...)
		}
		query += ` ORDER BY job_id LIMIT 1`
	} else {
		// Each host's first job, ordered and limited in a subquery of its
		// own, so that both databases read one index entry for it.
		branch := `SELECT (SELECT job_id FROM tasks WHERE account_id = ? AND state = ? AND queued = FALSE AND host = ? AND job_id > ?
			ORDER BY job_id LIMIT 1) AS job_id`
		query = `SELECT min(job_id) FROM (` + strings.TrimSuffix(strings.Repeat(branch+` UNION ALL `, len(d.open)), ` UNION ALL `) + `) AS firsts`
		for _, host := range d.open {
			args = append(args, d.account, string(trawl.TaskPending), host, pos)
		}
	}
	var jobID sql.NullInt64
	err := d.tx.tx.QueryRow(d.tx.q(query), args...).Scan(&jobID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("dispatch tasks of account %d: %w", d.account, err)
	}
	return jobID.Int64, nil
}

// roomOf is how many more tasks of host may be queued now.
func (d *dispatch) roomOf(host string) int {
	if host == "" || d.hostLimit == nil {
		return math.MaxInt
	}
	if r, ok := d.room[host]; ok {
		return r
	}
	return d.hostLimit(host)
}

// take marks up to n of a job's pending tasks not yet queued as queued and
// returns them: host by host, oldest first within a host, no more of a
// host than it has room for. It reads the job's waiting hosts one index
// entry at a time (a loose index scan), and stops as soon as it has n.
func (d *dispatch) take(jobID int64, n int) ([]*trawl.Task, error) {
	var out []*trawl.Task
	for prev, first := "", true; len(out) < n; first = false {
		after := ` AND host > ?`
		if first {
			after = ` AND host >= ?` // '' is a host too: tasks that name none
		}
		var host string
		err := d.tx.tx.QueryRow(d.tx.q(`SELECT host FROM tasks WHERE job_id = ? AND state = ? AND queued = FALSE`+after+
			` ORDER BY host LIMIT 1`), jobID, string(trawl.TaskPending), prev).Scan(&host)
		if errors.Is(err, sql.ErrNoRows) {
			break // no other host waits
		} else if err != nil {
			return nil, fmt.Errorf("hosts of job %d: %w", jobID, err)
		}
		prev = host
		k := min(n-len(out), d.roomOf(prev))
		if k <= 0 {
			continue
		}
		tasks, err := d.tx.takeTasks(jobID, prev, k)
		if err != nil {
			return nil, err
		}
		if prev != "" && d.hostLimit != nil {
			d.room[prev] = d.roomOf(prev) - len(tasks)
			if d.room[prev] <= 0 {
				d.open = slices.DeleteFunc(d.open, func(h string) bool { return h == prev })
			}
		}
		out = append(out, tasks...)
	}
	return out, nil
}

// takeTasks marks up to n of a job's pending tasks of host not yet queued
// as queued, oldest first, and returns them in that order.
func (tx *Tx) takeTasks(jobID int64, host string, n int) ([]*trawl.Task, error) {
	rows, err := tx.tx.Query(tx.q(`UPDATE tasks SET queued = TRUE WHERE id IN (
			SELECT id FROM tasks WHERE job_id = ? AND state = ? AND queued = FALSE AND host = ? ORDER BY id LIMIT ?)
		RETURNING `+taskColumns), jobID, string(trawl.TaskPending), host, n)
	if err != nil {
		return nil, fmt.Errorf("take tasks of job %d: %w", jobID, err)
	}
	var out []*trawl.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("take tasks of job %d: %w", jobID, err)
	}
	slices.SortFunc(out, func(a, b *trawl.Task) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// TasksInFlight counts an account's tasks queued or running: what its share
// of the scrape workers (jobs.Config.AccountConcurrency) is measured in.
func (db *DB) TasksInFlight(ctx context.Context, accountID int64) (int64, error) {
	var n int64
	err := db.read.QueryRowContext(ctx, db.q(`SELECT count(*) FROM tasks WHERE account_id = ? AND queued = TRUE AND state IN (?, ?)`),
		accountID, string(trawl.TaskPending), string(trawl.TaskRunning)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count tasks in flight of account %d: %w", accountID, err)
	}
	return n, nil
}
