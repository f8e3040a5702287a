// Package postgres opens trawl's scale-out database: PostgreSQL through a pgx
// pool exposed as *sql.DB, shared by every trawl node, with River on the same
// pool and LISTEN/NOTIFY through a dedicated listener pool.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/trawlhq/trawl/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open PostgreSQL database.
type DB struct {
	*sqlstore.DB
	// SQL is the pool every query and River use.
	SQL      *sql.DB
	pool     *pgxpool.Pool
	listener *pgxpool.Pool
	url      string
}

// Open connects to the database at url. It does not migrate: call Migrate.
func Open(ctx context.Context, url string, now func() time.Time) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns < 10 {
		cfg.MaxConns = 20
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	lcfg := cfg.Copy()
	lcfg.MinConns, lcfg.MaxConns = 0, 1
	listener, err := pgxpool.NewWithConfig(ctx, lcfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		pool.Close()
		listener.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{
		// Rows are locked FOR NO KEY UPDATE, never FOR UPDATE: trawl never
		// changes a key, and the weaker lock does not block the foreign-key
		// checks of rows that refer to the locked one. A delivery attempt
		// recorded under its event's lock refers to the job; with FOR UPDATE
		// it would wait for a jobs transaction that waits for the event, a
		// deadlock that aborts one of them (and sends the attempt twice).
		DB: sqlstore.New(db, db, sqlstore.Dialect{Numbered: true, ForUpdate: " FOR NO KEY UPDATE",
			EventLock: " FOR NO KEY UPDATE OF e", Postgres: true}, now),
		SQL:      db,
		pool:     pool,
		listener: listener,
		url:      url,
	}, nil
}

// Close closes the pools.
func (db *DB) Close() error {
	err := db.SQL.Close()
	db.pool.Close()
	db.listener.Close()
	return err
}

// Path names the database for logs, without credentials.
func (db *DB) Path() string {
	c := db.pool.Config().ConnConfig
	return fmt.Sprintf("postgres://%s:%d/%s", c.Host, c.Port, c.Database)
}

// RiverDriver is River's driver on this database, with a LISTEN/NOTIFY
// listener so that nodes hear of new work at once.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	return riverdatabasesql.NewWithPgxListener(db.SQL, db.listener)
}

// migrateLockID is the advisory lock under which trawl migrates, so that
// nodes starting at once take turns.
const migrateLockID = 7_261_525_144_051_102

// Migrate brings trawl's schema and River's up to date. Several nodes may
// call it at once: they take turns under an advisory lock, and each finds
// the work done by the first.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLockID)); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLockID))
	}()

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	return sqlstore.Migrate(ctx, db.SQL, goose.DialectPostgres, sub, riverdatabasesql.New(db.SQL), log, goose.WithSessionLocker(locker))
}
