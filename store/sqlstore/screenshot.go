package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/trawlhq/trawl"
)

// PutScreenshot stores a rendered page's image and returns its id.
func (db *DB) PutScreenshot(ctx context.Context, contentType string, data []byte, at time.Time) (int64, error) {
	var id int64
	err := db.write.QueryRowContext(ctx, db.q(`INSERT INTO screenshots (content_type, data, created_at) VALUES (?, ?, ?) RETURNING id`),
		contentType, data, micros(at)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store screenshot: %w", err)
	}
	return id, nil
}

// Screenshot returns a stored image and its content type; an unknown or
// pruned id is ENOTFOUND.
func (db *DB) Screenshot(ctx context.Context, id int64) (contentType string, data []byte, err error) {
	err = db.read.QueryRowContext(ctx, db.q(`SELECT content_type, data FROM screenshots WHERE id = ?`), id).Scan(&contentType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, trawl.Errorf(trawl.ENOTFOUND, "Screenshot %d not found.", id)
	}
	if err != nil {
		return "", nil, fmt.Errorf("read screenshot %d: %w", id, err)
	}
	return contentType, data, nil
}

// DeleteScreenshotsBefore deletes the images stored before t and returns how
// many went.
func (db *DB) DeleteScreenshotsBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, db.q(`DELETE FROM screenshots WHERE created_at < ?`), micros(t))
	if err != nil {
		return 0, fmt.Errorf("prune screenshots: %w", err)
	}
	return res.RowsAffected()
}
