// Package sqlstore implements store.Store over database/sql. The SQL is
// written once, portable between SQLite and PostgreSQL; store/sqlite and
// store/postgres open the connections and apply their migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/secret"
	"github.com/trawlhq/trawl/store"
)

// Dialect says how a database differs from the SQL written here.
type Dialect struct {
	// Numbered placeholders ($1, $2, …) instead of ?.
	Numbered bool
	// ForUpdate is appended to reads that lock a row in a transaction.
	ForUpdate string
	// EventLock is appended to the read of an event with its outbox: the
	// event alone is locked, so that attempts at one job's events never
	// wait for each other.
	EventLock string
	// Postgres marks PostgreSQL, whose events take their Seq from a
	// sequence; elsewhere the single writer numbers them.
	Postgres bool
}

// DB is a store.Store over database/sql.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	now     func() time.Time
	queue   atomic.Pointer[store.Queue]
	box     atomic.Pointer[secret.Box]

	// The delivery read, built once.
	deliveryOnce  sync.Once
	deliveryQuery string

	// The last event number given out, on a database with a single writer.
	seqMu   sync.Mutex
	seq     int64
	seqRead bool
}

// New returns a store over write (used for transactions and writes) and read
// (used for reads outside transactions; it may be the same pool). now is the
// clock; nil means time.Now.
func New(write, read *sql.DB, d Dialect, now func() time.Time) *DB {
	if now == nil {
		now = time.Now
	}
	if read == nil {
		read = write
	}
	return &DB{write: write, read: read, dialect: d, now: now}
}

var _ store.Store = (*DB)(nil)

// AttachQueue gives the store the queue its transactions enqueue with. The
// engine calls it when it is built on this store.
func (db *DB) AttachQueue(q store.Queue) { db.queue.Store(&q) }

// q rewrites the placeholders of query for the dialect.
func (db *DB) q(query string) string {
	return rebind(db.dialect, query)
}

func rebind(d Dialect, query string) string {
	if !d.Numbered {
		return query
	}
	return Numbered(query)
}

// repeat is n copies of item separated by commas: the placeholders of an
// IN list, repeat("?", n), or the rows of a multi-row INSERT.
func repeat(item string, n int) string {
	return strings.TrimSuffix(strings.Repeat(item+", ", n), ", ")
}

// cols qualifies each column of list (a comma-separated list) with prefix,
// a table's alias and a dot.
func cols(prefix, list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// insertChunk bounds the rows of one multi-row INSERT: SQLite allows 32,766
// bound values to a statement, PostgreSQL 65,535.
const insertChunk = 500

// Numbered rewrites the ? placeholders of query as PostgreSQL's $1, $2, ….
func Numbered(query string) string {
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func notFound(what string, id any) error {
	return trawl.Errorf(trawl.ENOTFOUND, "%s %v not found", what, id)
}

// InTx implements store.Store.
func (db *DB) InTx(ctx context.Context, fn func(store.Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{ctx: ctx, tx: sqlTx, db: db, now: db.now().UTC().Truncate(time.Microsecond)}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return err
	}
	return db.read.PingContext(ctx)
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.read.Close()
	if db.read != db.write {
		err = errors.Join(err, db.write.Close())
	}
	return err
}

const accountColumns = `id, name, webhook_secret, previous_secrets, created_at`

// storedSecret is a previous secret as the previous_secrets column holds it.
type storedSecret struct {
	Secret    string `json:"secret"`
	ExpiresAt int64  `json:"expiresAt"` // Unix microseconds
}

func (db *DB) scanAccount(s scanner) (*trawl.Account, error) {
	a, dest, finish := db.accountFields()
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	return a, finish()
}

// accountFields returns an account, the destinations of its
// accountColumns, and what completes it once they are scanned.
func (db *DB) accountFields() (*trawl.Account, []any, func() error) {
	a := &trawl.Account{}
	var created int64
	var previous string
	return a, []any{&a.ID, &a.Name, &a.WebhookSecret, &previous, &created}, func() error {
		var err error
		if a.WebhookSecret, err = db.open(a.WebhookSecret); err != nil {
			return fmt.Errorf("webhook secret of account %d: %w", a.ID, err)
		}
		if previous, err = db.open(previous); err != nil {
			return fmt.Errorf("previous secrets of account %d: %w", a.ID, err)
		}
		var stored []storedSecret
		if err := json.Unmarshal([]byte(previous), &stored); err != nil {
			return fmt.Errorf("decode previous secrets of account %d: %w", a.ID, err)
		}
		for _, p := range stored {
			a.PreviousSecrets = append(a.PreviousSecrets, trawl.PreviousSecret{Secret: p.Secret, ExpiresAt: fromMicros(p.ExpiresAt)})
		}
		a.CreatedAt = fromMicros(created)
		return nil
	}
}

func (db *DB) encodeSecrets(previous []trawl.PreviousSecret) (string, error) {
	stored := make([]storedSecret, 0, len(previous))
	for _, p := range previous {
		stored = append(stored, storedSecret{Secret: p.Secret, ExpiresAt: micros(p.ExpiresAt)})
	}
	b, err := json.Marshal(stored)
	return db.seal(string(b)), err
}

// CreateAccount implements store.Store. The account gets a fresh webhook
// signing secret.
func (db *DB) CreateAccount(ctx context.Context, name string) (*trawl.Account, error) {
	a := &trawl.Account{Name: name, WebhookSecret: trawl.NewWebhookSecret(), CreatedAt: db.now().UTC().Truncate(time.Microsecond)}
	err := db.write.QueryRowContext(ctx, db.q(`INSERT INTO accounts (name, webhook_secret, previous_secrets, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		name, db.seal(a.WebhookSecret), db.seal("[]"), micros(a.CreatedAt)).Scan(&a.ID)
	if err != nil {
		return nil, fmt.Errorf("insert account: %w", err)
	}
	return a, nil
}

// Account implements store.Store.
func (db *DB) Account(ctx context.Context, id int64) (*trawl.Account, error) {
	a, err := db.scanAccount(db.read.QueryRowContext(ctx, db.q(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("account", id)
	} else if err != nil {
		return nil, fmt.Errorf("read account %d: %w", id, err)
	}
	return a, nil
}

// RotateWebhookSecret implements store.Store.
func (db *DB) RotateWebhookSecret(ctx context.Context, accountID int64, next string, previousUntil time.Time) (*trawl.Account, error) {
	var a *trawl.Account
	err := db.InTx(ctx, func(stx store.Tx) error {
		tx := stx.(*Tx)
		var err error
		a, err = db.scanAccount(tx.tx.QueryRowContext(tx.ctx, tx.q(`SELECT `+accountColumns+` FROM accounts WHERE id = ?`+db.dialect.ForUpdate), accountID))
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("account", accountID)
		} else if err != nil {
			return fmt.Errorf("read account %d: %w", accountID, err)
		}
		a.Rotate(next, tx.now, previousUntil)
		previous, err := db.encodeSecrets(a.PreviousSecrets)
		if err != nil {
			return err
		}
		_, err = tx.tx.ExecContext(tx.ctx, tx.q(`UPDATE accounts SET webhook_secret = ?, previous_secrets = ? WHERE id = ?`),
			db.seal(a.WebhookSecret), previous, accountID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret of account %d: %w", accountID, err)
	}
	return a, nil
}

// Accounts implements store.Store.
func (db *DB) Accounts(ctx context.Context) ([]*trawl.Account, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []*trawl.Account
	for rows.Next() {
		a, err := db.scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// CreateAPIKey implements store.Store.
func (db *DB) CreateAPIKey(ctx context.Context, accountID int64, key string) (*trawl.APIKey, error) {
	k := &trawl.APIKey{AccountID: accountID, Prefix: trawl.KeyPrefix(key), CreatedAt: db.now().UTC().Truncate(time.Microsecond)}
	err := db.write.QueryRowContext(ctx, db.q(`INSERT INTO api_keys (account_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		accountID, trawl.HashAPIKey(key), k.Prefix, micros(k.CreatedAt)).Scan(&k.ID)
	if err != nil {
		return nil, fmt.Errorf("insert api key: %w", err)
	}
	return k, nil
}

// AccountByAPIKey implements store.Store.
func (db *DB) AccountByAPIKey(ctx context.Context, key string) (*trawl.Account, error) {
	a, err := db.scanAccount(db.read.QueryRowContext(ctx, db.q(`SELECT `+cols("a.", accountColumns)+`
		FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE k.key_hash = ? AND k.revoked_at IS NULL`), trawl.HashAPIKey(key)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, trawl.Errorf(trawl.EUNAUTHORIZED, "The API key is unknown or revoked.")
	} else if err != nil {
		return nil, fmt.Errorf("look up api key: %w", err)
	}
	return a, nil
}

// APIKeyExists implements store.Store.
func (db *DB) APIKeyExists(ctx context.Context, key string) (bool, error) {
	_, err := db.AccountByAPIKey(ctx, key)
	if trawl.ErrorCode(err) == trawl.EUNAUTHORIZED {
		return false, nil
	}
	return err == nil, err
}

// APIKeys implements store.Store.
func (db *DB) APIKeys(ctx context.Context) ([]*trawl.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, account_id, prefix, created_at, revoked_at FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []*trawl.APIKey
	for rows.Next() {
		k := &trawl.APIKey{}
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.AccountID, &k.Prefix, &created, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RevokedAt = fromMicros(created), fromNullMicros(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey implements store.Store. A prefix that more than one active
// key shares is a conflict: nothing is revoked, and the id must be used.
func (db *DB) RevokeAPIKey(ctx context.Context, idOrPrefix string) error {
	id, _ := strconv.ParseInt(idOrPrefix, 10, 64)
	var n int64
	err := db.write.QueryRowContext(ctx, db.q(`SELECT count(*) FROM api_keys WHERE revoked_at IS NULL AND (id = ? OR prefix = ?)`),
		id, idOrPrefix).Scan(&n)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	switch {
	case n == 0:
		return notFound("active API key", idOrPrefix)
	case n > 1:
		return trawl.Errorf(trawl.ECONFLICT, "%d active keys match %q: revoke by id", n, idOrPrefix)
	}
	if _, err := db.write.ExecContext(ctx, db.q(`UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND (id = ? OR prefix = ?)`),
		micros(db.now()), id, idOrPrefix); err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	return nil
}

// Writer is the pool that writes: the single connection on SQLite, the
// shared pool on PostgreSQL. The engine runs River on it.
func (db *DB) Writer() *sql.DB { return db.write }

// Postgres reports whether the database is PostgreSQL.
func (db *DB) Postgres() bool { return db.dialect.Postgres }
