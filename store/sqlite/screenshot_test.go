package sqlite_test

import (
	"testing"

	"github.com/trawlhq/trawl/store/sqlite/sqlitetest"
	"github.com/trawlhq/trawl/store/storetest"
)

func TestScreenshots(t *testing.T) {
	t.Parallel()
	db := sqlitetest.Open(t)
	storetest.RunScreenshots(t, db)
}
