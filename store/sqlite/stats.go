package sqlite

import "database/sql"

// WriterStats are the statistics of the single write connection: how often
// and how long statements waited for it, and whether it is in use. The
// metrics read them at each scrape.
func (db *DB) WriterStats() sql.DBStats { return db.Write.Stats() }
