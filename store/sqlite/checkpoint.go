package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// SQLite in WAL mode appends commits to the write-ahead log and copies them
// into the database file in checkpoints. Left to itself, the commit that
// takes the log past a thousand pages runs the checkpoint, fsyncs included,
// while it holds the right to write: a few milliseconds every few hundred
// milliseconds on a busy node, which every writer waiting at the gate pays.
// trawl turns that off on the writers and checkpoints from a connection of
// its own instead. A PASSIVE checkpoint takes no write lock, so writers go on
// appending while it copies; the next writer after a complete one starts the
// log over.

// checkpointEvery is how often the checkpointer looks for new commits.
const checkpointEvery = 100 * time.Millisecond

// checkpointer checkpoints the database while writers have committed since
// its last run, until stop is closed.
type checkpointer struct {
	conn *sql.DB
	gate *writeGate
	stop chan struct{}
	done chan struct{}
}

func startCheckpointer(conn *sql.DB, gate *writeGate) *checkpointer {
	c := &checkpointer{conn: conn, gate: gate, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen int64
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if n := c.gate.passes(); n != seen {
			seen = n
			// An error here (the disk full, say) shows again at the next
			// commit, where it is reported; the log meanwhile only grows.
			_, _ = c.conn.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
		}
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.conn.Close()
}
