package postgres_test

import (
	"log/slog"
	"testing"

	"github.com/trawlhq/trawl/store/postgres/pgtest"
	"github.com/trawlhq/trawl/store/storetest"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	db := open(t, pgtest.URL(t))
	if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	storetest.RunUsage(t, db)
}
