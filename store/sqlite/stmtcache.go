package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// stmtCacheSize is how many prepared statements each connection keeps.
// trawl and River between them run well under a hundred distinct
// statements; the rest (IN lists of varying length) come and go.
const stmtCacheSize = 256

// cachingConnector opens SQLite connections that keep their prepared
// statements. The driver otherwise parses and plans every statement anew on
// every call, which was over a third of the CPU of a webhook delivery; with
// the cache a statement is parsed once per connection and then only bound
// and stepped.
type cachingConnector struct {
	inner driver.Connector
}

func newCachingConnector(dsn string) (*cachingConnector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConnector{inner: c}, nil
}

// Connect implements driver.Connector.
func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

// Driver implements driver.Connector.
func (c *cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// innerConn is what the driver's connections offer and the cache relies on.
type innerConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one connection with its statement cache. database/sql uses
// a connection from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	inner innerConn
	stmts map[string]*list.Element // of *cachedStmt, most recently used first
	lru   list.List
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// busy is set while a Rows reads through the statement: a second query
	// with the same text meanwhile gets a statement of its own.
	busy bool
}

func newCachingConn(c driver.Conn) (*cachingConn, error) {
	inner, ok := c.(innerConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the context methods the statement cache needs")
	}
	return &cachingConn{inner: inner, stmts: map[string]*list.Element{}}, nil
}

// stmt returns the cached statement for query, preparing it on first use,
// or, while the cached one is busy, a statement that the caller must close
// (owned is true).
func (c *cachingConn) stmt(ctx context.Context, query string) (s *cachedStmt, owned bool, err error) {
	if el, ok := c.stmts[query]; ok {
		cs := el.Value.(*cachedStmt)
		if !cs.busy {
			c.lru.MoveToFront(el)
			return cs, false, nil
		}
		st, err := c.inner.PrepareContext(ctx, query)
		if err != nil {
			return nil, false, err
		}
		return &cachedStmt{query: query, stmt: st}, true, nil
	}
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	c.evict()
	return cs, false, nil
}

// evict closes the least recently used statements beyond the cache's size
// that no Rows is reading.
func (c *cachingConn) evict() {
	for el := c.lru.Back(); el != nil && c.lru.Len() > stmtCacheSize; {
		prev := el.Prev()
		if cs := el.Value.(*cachedStmt); !cs.busy {
			c.lru.Remove(el)
			delete(c.stmts, cs.query)
			_ = cs.stmt.Close()
		}
		el = prev
	}
}

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, owned, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if owned {
		defer s.stmt.Close()
	}
	return s.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, owned, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		if owned {
			_ = s.stmt.Close()
		}
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s, owned: owned}, nil
}

// PrepareContext implements driver.ConnPrepareContext: an explicitly
// prepared statement is the caller's to keep and close, outside the cache.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(ctx, query)
}

// Prepare implements driver.Conn.
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.inner.PrepareContext(context.Background(), query)
}

// Begin implements driver.Conn.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.inner.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.BeginTx(ctx, opts)
}

// Ping implements driver.Pinger.
func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.Ping(ctx) }

// ResetSession implements driver.SessionResetter.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.inner.ResetSession(ctx) }

// IsValid implements driver.Validator.
func (c *cachingConn) IsValid() bool { return c.inner.IsValid() }

// Close closes the cached statements and the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		errs = append(errs, el.Value.(*cachedStmt).stmt.Close())
	}
	c.lru.Init()
	clear(c.stmts)
	return errors.Join(append(errs, c.inner.Close())...)
}

// cachedRows gives the statement back to the cache when the rows are
// closed (or closes it, when it was the caller's own).
type cachedRows struct {
	driver.Rows
	s     *cachedStmt
	owned bool
}

// Close implements driver.Rows.
func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	if r.owned {
		err = errors.Join(err, r.s.stmt.Close())
	}
	return err
}

// ColumnTypeDatabaseTypeName implements driver.RowsColumnTypeDatabaseTypeName.
func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

// ColumnTypeNullable implements driver.RowsColumnTypeNullable.
func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
