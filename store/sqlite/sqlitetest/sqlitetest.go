// Package sqlitetest gives tests a fresh, migrated SQLite database each, the
// embedded counterpart of pgtest.
package sqlitetest

import (
	"log/slog"
	"testing"

	"github.com/trawlhq/trawl/store/sqlite"
)

// Open opens a migrated database in a folder of t's own, closed when t
// ends.
func Open(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}
