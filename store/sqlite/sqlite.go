// Package sqlite opens trawl's embedded database: one SQLite file in WAL mode,
// written through a single connection that River shares, and read through a
// separate pool that never blocks the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
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
	// Write is the single writer connection, shared with River.
	Write *sql.DB
	read  *sql.DB
	path  string
	hub   *notifyHub
}

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
	writeDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	wc, err := newCachingConnector(writeDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write := sql.OpenDB(wc)
	// One writer: SQLite allows one at a time, and River's SQLite driver needs
	// it so that its own statements never meet SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	pragmas.Add("_pragma", "query_only(1)")
	rc, err := newCachingConnector("file:" + path + "?" + pragmas.Encode())
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read := sql.OpenDB(rc)
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)

	if err := write.Ping(); err != nil {
		_ = write.Close()
		_ = read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &DB{
		DB:    sqlstore.New(write, read, sqlstore.Dialect{}, now),
		Write: write,
		read:  read,
		path:  path,
		hub:   newNotifyHub(),
	}, nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// RiverDriver is River's driver on the single writer connection, with its
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
