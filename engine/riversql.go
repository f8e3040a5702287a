package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/trawlhq/trawl/store/sqlstore"
	"os"
	"strconv"
	"time"
)

// riverSQL holds every statement trawl runs on River's tables, and on the
// nodes table beside them, for both databases. Nothing else in trawl touches
// River's tables.
type riverSQL struct {
	db       *sql.DB
	postgres bool
	// nowMicros is the database clock in Unix microseconds, so that every
	// node judges liveness by one clock.
	nowMicros string
	// lastAttempt is the client that last fetched a river_job row.
	lastAttempt string
	// nowTime is the database clock as River stores its timestamps.
	nowTime string
	host    string
}

func newRiverSQL(db *sql.DB, postgres bool) riverSQL {
	host, _ := os.Hostname()
	if postgres {
		return riverSQL{db: db, postgres: true, host: host,
			nowMicros:   `(extract(epoch from clock_timestamp()) * 1000000)::bigint`,
			lastAttempt: `attempted_by[array_length(attempted_by, 1)]`,
			nowTime:     `now()`,
		}
	}
	return riverSQL{db: db, host: host,
		nowMicros:   `CAST(unixepoch('subsec') * 1000000 AS INTEGER)`,
		lastAttempt: `json_extract(attempted_by, '$[#-1]')`,
		nowTime:     `datetime('now', 'subsec')`,
	}
}

// q rewrites ? placeholders as $1, $2, … on PostgreSQL.
func (r riverSQL) q(query string) string {
	if !r.postgres {
		return query
	}
	return sqlstore.Numbered(query)
}

// announce records the node as alive, started now.
func (r riverSQL) announce(ctx context.Context, id, role string) error {
	_, err := r.db.ExecContext(ctx, r.q(`INSERT INTO nodes (id, role, host, started_at, renewed_at)
		VALUES (?, ?, ?, `+r.nowMicros+`, `+r.nowMicros+`)
		ON CONFLICT (id) DO UPDATE SET renewed_at = excluded.renewed_at`), id, role, r.host)
	if err != nil {
		return fmt.Errorf("announce node %s: %w", id, err)
	}
	return nil
}

// renew renews the node's record, writing it again if another node has
// removed it, and reports whether it was still there.
func (r riverSQL) renew(ctx context.Context, id, role string) (bool, error) {
	res, err := r.db.ExecContext(ctx, r.q(`UPDATE nodes SET renewed_at = `+r.nowMicros+` WHERE id = ?`), id)
	if err != nil {
		return false, fmt.Errorf("renew node %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, nil
	}
	return false, r.announce(ctx, id, role)
}

// leave takes the node off the record.
func (r riverSQL) leave(ctx context.Context, id string) error {
	if _, err := r.db.ExecContext(ctx, r.q(`DELETE FROM nodes WHERE id = ?`), id); err != nil {
		return fmt.Errorf("remove node %s: %w", id, err)
	}
	return nil
}

// forgetAfter is how long a dead node stays on record (and in GET /nodes)
// after its work was taken back.
const forgetAfter = time.Hour

// takeOver makes available at once every running River job whose last
// fetcher is not a node that renewed within ttl (self is always alive), and
// forgets nodes dead for longer than forgetAfter. It returns how many jobs it
// took back and from which nodes. Nodes that run it at once do not take a job
// twice: the update only moves jobs still running.
func (r riverSQL) takeOver(ctx context.Context, self string, ttl time.Duration) (int64, []string, error) {
	cutoff := `(` + r.nowMicros + ` - ` + strconv.FormatInt(ttl.Microseconds(), 10) + `)`
	live := `SELECT id FROM nodes WHERE renewed_at >= ` + cutoff + ` OR id = ?`
	rows, err := r.db.QueryContext(ctx, r.q(`SELECT DISTINCT COALESCE(`+r.lastAttempt+`, '') FROM river_job
		WHERE state = 'running' AND COALESCE(`+r.lastAttempt+`, '') NOT IN (`+live+`)`), self)
	if err != nil {
		return 0, nil, fmt.Errorf("find work of dead nodes: %w", err)
	}
	var dead []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, nil, err
		}
		dead = append(dead, id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, nil, fmt.Errorf("find work of dead nodes: %w", err)
	}
	var taken int64
	if len(dead) > 0 {
		res, err := r.db.ExecContext(ctx, r.q(`UPDATE river_job SET state = 'available', scheduled_at = `+r.nowTime+`
			WHERE state = 'running' AND COALESCE(`+r.lastAttempt+`, '') NOT IN (`+live+`)`), self)
		if err != nil {
			return 0, nil, fmt.Errorf("take back work of dead nodes: %w", err)
		}
		taken, _ = res.RowsAffected()
	}
	_, err = r.db.ExecContext(ctx, r.q(`DELETE FROM nodes WHERE renewed_at < (`+r.nowMicros+` - ?) AND id <> ?`),
		max(forgetAfter, ttl).Microseconds(), self)
	if err != nil {
		return taken, dead, fmt.Errorf("forget dead nodes: %w", err)
	}
	return taken, dead, nil
}

// promoteDue makes River jobs whose scheduled time has come available at
// once. River's own scheduler does this every five seconds, which would add
// up to five seconds to every webhook retry, task retry and batching window.
func (r riverSQL) promoteDue(ctx context.Context) (int64, error) {
	res, err := r.db.ExecContext(ctx, `UPDATE river_job SET state = 'available'
		WHERE state IN ('scheduled', 'retryable') AND scheduled_at <= `+r.nowTime)
	if err != nil {
		return 0, fmt.Errorf("promote due jobs: %w", err)
	}
	return res.RowsAffected()
}

// nodes lists the nodes on record, live ones first, newest renewal first.
func (r riverSQL) nodes(ctx context.Context, ttl time.Duration) ([]Node, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT id, role, host, started_at, renewed_at, `+r.nowMicros+` - renewed_at
		FROM nodes ORDER BY renewed_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	defer rows.Close()
	var live, dead []Node
	for rows.Next() {
		var n Node
		var started, renewed, age int64
		if err := rows.Scan(&n.ID, &n.Role, &n.Host, &started, &renewed, &age); err != nil {
			return nil, err
		}
		n.StartedAt, n.RenewedAt = time.UnixMicro(started).UTC(), time.UnixMicro(renewed).UTC()
		n.Age = time.Duration(max(age, 0)) * time.Microsecond
		n.Alive = n.Age <= ttl
		if n.Alive {
			live = append(live, n)
		} else {
			dead = append(dead, n)
		}
	}
	return append(live, dead...), rows.Err()
}

// queueDepth counts River's unfinished jobs by queue and state.
func (r riverSQL) queueDepth(ctx context.Context) (map[[2]string]int64, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT queue, state, count(*) FROM river_job
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
