package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting implements store.Store.
func (db *DB) Setting(ctx context.Context, name string) (string, error) {
	var value string
	err := db.read.QueryRowContext(ctx, db.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", notFound("setting", name)
	} else if err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return db.open(value)
}

// EnsureSetting implements store.Store. The insert leaves a stored value
// alone, and the read that follows goes to the writer so that it sees the
// value whoever stored it.
func (db *DB) EnsureSetting(ctx context.Context, name, value string) (string, error) {
	if _, err := db.write.ExecContext(ctx, db.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`),
		name, db.seal(value)); err != nil {
		return "", fmt.Errorf("store setting %s: %w", name, err)
	}
	var stored string
	if err := db.write.QueryRowContext(ctx, db.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&stored); err != nil {
		return "", fmt.Errorf("read setting %s: %w", name, err)
	}
	return db.open(stored)
}
