package sqlite

import "database/sql"

// WriterStats are the statistics of the writer, in database/sql's terms:
// WaitCount and WaitDuration count the statements and transactions that
// waited at the gate for their turn to write, InUse is 1 while one writes,
// MaxOpenConnections is 1 (one writes at a time). The metrics read them at
// each scrape.
func (db *DB) WriterStats() sql.DBStats {
	waits, waited, held := db.gate.stats()
	s := sql.DBStats{MaxOpenConnections: 1, OpenConnections: 1, Idle: 1, WaitCount: waits, WaitDuration: waited}
	if held {
		s.InUse, s.Idle = 1, 0
	}
	return s
}
