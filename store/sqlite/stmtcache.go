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
//
// The writer's connections also pass its gate (see writeGate).
type cachingConnector struct {
	inner driver.Connector
	gate  *writeGate // nil for read-only connections
}

func newCachingConnector(dsn string, gate *writeGate) (*cachingConnector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConnector{inner: c, gate: gate}, nil
}

// Connect implements driver.Connector.
func (c *cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.gate)
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
	gate  *writeGate
	inTx  bool // a transaction is open, and has passed the gate
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// busy is set while a Rows reads through the statement: a second query
	// with the same text meanwhile gets a statement of its own.
	busy bool
}

func newCachingConn(c driver.Conn, gate *writeGate) (*cachingConn, error) {
	inner, ok := c.(innerConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the context methods the statement cache needs")
	}
	return &cachingConn{inner: inner, stmts: map[string]*list.Element{}, gate: gate}, nil
}

// enter passes the gate for one statement outside a transaction, and
// returns what lets the next writer in; inside a transaction, or on a
// read-only connection, there is nothing to pass.
func (c *cachingConn) enter(ctx context.Context) (leave func(), err error) {
	if c.gate == nil || c.inTx {
		return func() {}, nil
	}
	if err := c.gate.acquire(ctx); err != nil {
		return nil, err
	}
	left := false
	return func() {
		if !left {
			left = true
			c.gate.release()
		}
	}, nil
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
	leave, err := c.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
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
	leave, err := c.enter(ctx)
	if err != nil {
		return nil, err
	}
	s, owned, err := c.stmt(ctx, query)
	if err != nil {
		leave()
		return nil, err
	}
	rows, err := s.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		if owned {
			_ = s.stmt.Close()
		}
		leave()
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s, owned: owned, leave: leave}, nil
}

// PrepareContext implements driver.ConnPrepareContext: an explicitly
// prepared statement is the caller's to keep and close, outside the cache.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.inner.PrepareContext(ctx, query)
	if err != nil || c.gate == nil {
		return st, err
	}
	return &gatedStmt{Stmt: st, c: c}, nil
}

// Prepare implements driver.Conn.
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// Begin implements driver.Conn.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx. On the writer the transaction
// passes the gate first and lets the next writer in when it ends.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	leave, err := c.enter(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		leave()
		return nil, err
	}
	if c.gate == nil {
		return tx, nil
	}
	c.inTx = true
	return &gatedTx{Tx: tx, c: c, leave: leave}, nil
}

// gatedTx is a writer's transaction, which holds the gate until it ends.
type gatedTx struct {
	driver.Tx
	c     *cachingConn
	leave func()
}

// Commit implements driver.Tx.
func (t *gatedTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

// Rollback implements driver.Tx.
func (t *gatedTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *gatedTx) end() {
	t.c.inTx = false
	t.leave()
}

// gatedStmt is a statement prepared explicitly on a writer connection: it
// passes the gate like the statements the cache runs.
type gatedStmt struct {
	driver.Stmt
	c *cachingConn
}

// ExecContext implements driver.StmtExecContext.
func (s *gatedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	leave, err := s.c.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext implements driver.StmtQueryContext.
func (s *gatedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	leave, err := s.c.enter(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		leave()
		return nil, err
	}
	return &leavingRows{Rows: rows, leave: leave}, nil
}

// leavingRows lets the next writer in when the rows are closed.
type leavingRows struct {
	driver.Rows
	leave func()
}

// Close implements driver.Rows.
func (r *leavingRows) Close() error {
	defer r.leave()
	return r.Rows.Close()
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
	leave func() // lets the next writer in
}

// Close implements driver.Rows.
func (r *cachedRows) Close() error {
	defer r.leave()
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
