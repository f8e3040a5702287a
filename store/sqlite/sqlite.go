// Package sqlite opens trawl's embedded database: one SQLite file in WAL mode,
// written by one connection at a time through a gate that trawl and River
// share, and read through a separate pool that never blocks the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/trawlhq/trawl/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside trawl's data folder.
const FileName = "trawl.db"

// DB is an open SQLite database.
type DB struct {
	*sqlstore.DB
	// Write is the writers' pool, shared with River: its connections write
	// one at a time, passing gate.
	Write *sql.DB
	read  *sql.DB
	path  string
	hub   *notifyHub
	gate  *writeGate
	ckpt  *checkpointer
}

// writerConns bounds the writer connections: enough for every scrape and
// delivery worker and River's own loops to wait at the gate, where
// foreground work goes first, rather than in database/sql's pool, which
// serves its waiters in no order.
const writerConns = 96

// Open opens (creating if needed) the database in dir. It does not migrate:
// call Migrate.
func Open(dir string, now func() time.Time) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, FileName)
	pragmas := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(ON)", "synchronous(NORMAL)"} {
		pragmas.Add("_pragma", p)
	}
	// The writers leave checkpoints to the checkpointer.
	writeDSN := "file:" + path + "?" + pragmas.Encode() + "&_pragma=wal_autocheckpoint(0)&_txlock=immediate"
	gate := &writeGate{}
	wc, err := newCachingConnector(writeDSN, gate)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write := sql.OpenDB(wc)
	// SQLite allows one writer at a time; the gate keeps them in line, so
	// that neither trawl's statements nor River's meet SQLITE_BUSY.
	write.SetMaxOpenConns(writerConns)
	write.SetMaxIdleConns(writerConns)
	write.SetConnMaxIdleTime(time.Minute)
	write.SetConnMaxLifetime(0)

	cc, err := newCachingConnector("file:"+path+"?"+pragmas.Encode(), nil)
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open %s for checkpoints: %w", path, err)
	}
	ckpt := sql.OpenDB(cc)
	ckpt.SetMaxOpenConns(1)

	pragmas.Add("_pragma", "query_only(1)")
	rc, err := newCachingConnector("file:"+path+"?"+pragmas.Encode(), nil)
	if err != nil {
		_ = write.Close()
		_ = ckpt.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read := sql.OpenDB(rc)
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)

	if err := write.Ping(); err != nil {
		_ = write.Close()
		_ = read.Close()
		_ = ckpt.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{
		DB:    sqlstore.New(write, read, sqlstore.Dialect{}, now),
		Write: write,
		read:  read,
		path:  path,
		hub:   newNotifyHub(),
		gate:  gate,
		ckpt:  startCheckpointer(ckpt, gate),
	}, nil
}

// Close stops the checkpointer and closes the database; the last connection
// to close checkpoints what is left.
func (db *DB) Close() error {
	return errors.Join(db.ckpt.close(), db.DB.Close())
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// RiverDriver is River's driver on the writers' pool, with its
// notifications passed in memory (see notifyHub).
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	return &riverDriver{Driver: riversqlite.New(db.Write), hub: db.hub}
}

// Migrate brings trawl's schema and River's up to date.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	return Migrate(ctx, db.Write, log)
}

// Migrate applies trawl's and River's migrations to a SQLite database.
func Migrate(ctx context.Context, write *sql.DB, log *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, write, goose.DialectSQLite3, sub, riversqlite.New(write), log)
}
