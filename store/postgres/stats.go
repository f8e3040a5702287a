package postgres

import "database/sql"

// WriterStats are the statistics of the pool every query and River use, in
// database/sql's terms: WaitCount and WaitDuration count the acquires that
// found no idle connection and waited for one, InUse and Idle the
// connections acquired and idle, MaxOpenConnections the pool's size. (The
// *sql.DB over the pool keeps no connections of its own, so its own
// statistics never show a wait.) The metrics read them at each scrape.
func (db *DB) WriterStats() sql.DBStats {
	s := db.pool.Stat()
	return sql.DBStats{
		MaxOpenConnections: int(s.MaxConns()),
		OpenConnections:    int(s.TotalConns()),
		InUse:              int(s.AcquiredConns()),
		Idle:               int(s.IdleConns()),
		WaitCount:          s.EmptyAcquireCount(),
		WaitDuration:       s.EmptyAcquireWaitTime(),
	}
}
