package sqlite

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openCaching(t *testing.T) (*sql.DB, *cachingConn) {
	t.Helper()
	c, err := newCachingConnector("file:"+filepath.Join(t.TempDir(), "t.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var cc *cachingConn
	if err := conn.Raw(func(dc any) error { cc = dc.(*cachingConn); return nil }); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	return db, cc
}

// TestStatementCache runs the same statements many times on one connection:
// each is prepared once and reused, a query nested in an open one with the
// same text gets a statement of its own, a schema change is seen by a
// cached statement, and statements beyond the cache's size are let go.
func TestStatementCache(t *testing.T) {
	db, cc := openCaching(t)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	el, ok := cc.stmts[`INSERT INTO t (v) VALUES (?)`]
	if !ok {
		t.Fatal("the insert was not cached")
	}
	first := el.Value.(*cachedStmt).stmt
	if _, err := db.Exec(`INSERT INTO t (v) VALUES (?)`, "again"); err != nil {
		t.Fatal(err)
	}
	if cc.stmts[`INSERT INTO t (v) VALUES (?)`].Value.(*cachedStmt).stmt != first {
		t.Error("the insert was prepared again")
	}

	// Nested, on the one connection of a transaction: the outer rows stay
	// open while the same query runs inside.
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	const q = `SELECT id, v FROM t WHERE id <= ? ORDER BY id`
	rows, err := tx.Query(q, 3)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id int
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		var inner int
		if err := tx.QueryRow(`SELECT count(*) FROM (`+q+`)`, id).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		sub, err := tx.Query(q, id)
		if err != nil {
			t.Fatal(err)
		}
		m := 0
		for sub.Next() {
			m++
		}
		if err := sub.Close(); err != nil {
			t.Fatal(err)
		}
		if m != id || inner != id {
			t.Errorf("nested query for id %d saw %d and %d rows", id, m, inner)
		}
		n++
	}
	if err := rows.Close(); err != nil || n != 3 {
		t.Fatalf("outer query: %d rows, %v", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}

	// A schema change reaches the cached statement.
	var cols []string
	get := func() {
		r, err := db.Query(`SELECT * FROM t WHERE id = 1`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ = r.Columns()
		_ = r.Close()
	}
	get()
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN w TEXT`); err != nil {
		t.Fatal(err)
	}
	get()
	if len(cols) != 3 {
		t.Errorf("after ALTER TABLE the cached SELECT * has columns %v", cols)
	}

	for i := range stmtCacheSize + 50 {
		var got int
		if err := db.QueryRow(fmt.Sprintf(`SELECT %d`, i)).Scan(&got); err != nil || got != i {
			t.Fatalf("SELECT %d: %d, %v", i, got, err)
		}
	}
	if len(cc.stmts) > stmtCacheSize || cc.lru.Len() != len(cc.stmts) {
		t.Errorf("cache holds %d statements (list %d), at most %d", len(cc.stmts), cc.lru.Len(), stmtCacheSize)
	}
}
