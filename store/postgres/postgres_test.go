package postgres_test

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/trawlhq/trawl/store"
	"github.com/trawlhq/trawl/store/postgres"
	"github.com/trawlhq/trawl/store/postgres/pgtest"
	"github.com/trawlhq/trawl/store/storetest"
)

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	t.Parallel()
	if !pgtest.Available() {
		t.Skip(pgtest.EnvVar + " is not set")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		db := open(t, pgtest.URL(t))
		if err := db.Migrate(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestConcurrentMigrate starts several nodes' migrations at once on one
// database: they take turns and all succeed.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		db := open(t, url)
		wg.Go(func() { errs <- db.Migrate(t.Context(), slog.New(slog.DiscardHandler)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("migrate: %v", err)
		}
	}
}
