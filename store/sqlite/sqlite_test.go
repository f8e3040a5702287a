package sqlite_test

import (
	"log/slog"
	"testing"

	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
	"github.com/trawlhq/trawl/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		db := sqlitetest.Open(t)
		return db
	})
}

func TestMigrateTwice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for range 2 {
		db, err := sqlite.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
