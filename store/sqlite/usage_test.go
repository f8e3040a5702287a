package sqlite_test

import (
	"log/slog"
	"testing"

	"github.com/trawlhq/trawl/store/sqlite"
	"github.com/trawlhq/trawl/store/storetest"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	storetest.RunUsage(t, db)
}
