package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/trawlhq/trawl"
)

// InsertRows implements store.Tx.
func (tx *Tx) InsertRows(job *trawl.Job, data []json.RawMessage) ([]*trawl.Row, error) {
	out := make([]*trawl.Row, 0, len(data))
	for i, d := range data {
		out = append(out, &trawl.Row{ID: trawl.NewUUID(), JobID: job.ID, Seq: job.DataRowsCount + int64(i) + 1, Data: d, CreatedAt: tx.now})
	}
	// Several rows per statement: one round trip for a batch of pages.
	for chunk := range slices.Chunk(out, insertChunk) {
		args := make([]any, 0, 5*len(chunk))
		for _, r := range chunk {
			args = append(args, r.ID, r.JobID, r.Seq, string(r.Data), micros(r.CreatedAt))
		}
		query := `INSERT INTO results (id, job_id, seq, data, created_at) VALUES ` + repeat("(?, ?, ?, ?, ?)", len(chunk))
		if _, err := tx.tx.Exec(tx.q(query), args...); err != nil {
			return nil, fmt.Errorf("insert rows %d.. of job %d: %w", chunk[0].Seq, job.ID, err)
		}
	}
	return out, nil
}

func scanRows(rows *sql.Rows) ([]*trawl.Row, error) {
	defer rows.Close()
	var out []*trawl.Row
	for rows.Next() {
		r := &trawl.Row{}
		var data string
		var created int64
		if err := rows.Scan(&r.ID, &r.JobID, &r.Seq, &data, &created); err != nil {
			return nil, fmt.Errorf("scan row: %w", err)
		}
		r.Data, r.CreatedAt = json.RawMessage(data), fromMicros(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// RowsAfter implements store.Tx.
func (tx *Tx) RowsAfter(jobID, seq, limit int64) ([]*trawl.Row, error) {
	rows, err := tx.tx.Query(tx.q(`SELECT id, job_id, seq, data, created_at FROM results
		WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?`), jobID, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read rows of job %d: %w", jobID, err)
	}
	return scanRows(rows)
}

// Rows implements store.Store. Rows are numbered from 1 without gaps, so a
// page is a range of Seq and costs the same however deep it is.
func (db *DB) Rows(ctx context.Context, jobID int64, offset, limit int64) ([]*trawl.Row, int64, error) {
	var total int64
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT data_rows_count FROM jobs WHERE id = ?`), jobID).Scan(&total); errors.Is(err, sql.ErrNoRows) {
		return nil, 0, notFound("job", jobID)
	} else if err != nil {
		return nil, 0, fmt.Errorf("count rows of job %d: %w", jobID, err)
	}
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, job_id, seq, data, created_at FROM results
		WHERE job_id = ? AND seq > ? AND seq <= ? ORDER BY seq`), jobID, offset, offset+limit)
	if err != nil {
		return nil, 0, fmt.Errorf("read rows of job %d: %w", jobID, err)
	}
	out, err := scanRows(rows)
	return out, total, err
}

// Chunks of EachRow: at most eachRowChunk rows, and no more rows once a
// chunk holds eachRowBytes of row data (a single larger row still comes
// whole).
const (
	eachRowChunk = 1000
	eachRowBytes = 4 << 20
)

// EachRow implements store.Store. Each chunk is one keyset query on
// (job_id, seq), read in full and closed before fn sees its rows.
func (db *DB) EachRow(ctx context.Context, jobID, upTo int64, fn func(*trawl.Row) error) error {
	var one int
	if err := db.read.QueryRowContext(ctx, db.q(`SELECT 1 FROM jobs WHERE id = ?`), jobID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return notFound("job", jobID)
	} else if err != nil {
		return fmt.Errorf("read job %d: %w", jobID, err)
	}
	for after := int64(0); after < upTo; {
		chunk, err := db.rowChunk(ctx, jobID, after, upTo)
		if err != nil {
			return err
		}
		if len(chunk) == 0 {
			return nil
		}
		for _, r := range chunk {
			if err := fn(r); err != nil {
				return err
			}
		}
		after = chunk[len(chunk)-1].Seq
	}
	return nil
}

// rowChunk reads the next chunk of a job's rows with after < Seq <= upTo.
func (db *DB) rowChunk(ctx context.Context, jobID, after, upTo int64) ([]*trawl.Row, error) {
	rows, err := db.read.QueryContext(ctx, db.q(`SELECT id, job_id, seq, data, created_at FROM results
		WHERE job_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?`), jobID, after, upTo, eachRowChunk)
	if err != nil {
		return nil, fmt.Errorf("read rows of job %d after %d: %w", jobID, after, err)
	}
	defer rows.Close()
	out := make([]*trawl.Row, 0, 64)
	size := 0
	for rows.Next() {
		r := &trawl.Row{}
		var data string
		var created int64
		if err := rows.Scan(&r.ID, &r.JobID, &r.Seq, &data, &created); err != nil {
			return nil, fmt.Errorf("scan row: %w", err)
		}
		r.Data, r.CreatedAt = json.RawMessage(data), fromMicros(created)
		out = append(out, r)
		if size += len(data); size >= eachRowBytes {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rows of job %d after %d: %w", jobID, after, err)
	}
	return out, nil
}
