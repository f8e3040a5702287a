package sqlite

import (
	"context"
	"sync"
	"time"

	"github.com/trawlhq/trawl/store"
)

// SQLite lets one connection write at a time. trawl keeps several writer
// connections and hands the right to write from one to the next through a
// gate instead of sharing one connection: database/sql gives a freed
// connection to a random waiter, so with jobs, deliveries and River all
// writing, a create could wait behind dozens of background transactions.
// The gate serves foreground work (API requests, marked with
// store.Foreground) first and everyone in arrival order within their kind,
// so a create waits for the transaction that is being written and the
// creates ahead of it, no more.
//
// A connection passes the gate for a whole transaction (from BEGIN
// IMMEDIATE to COMMIT or ROLLBACK) or, outside one, for a statement (a
// query until its rows are closed). Every writer connection passes it, so
// SQLite itself never finds the database locked.

// writeGate is the right to write to one database.
type writeGate struct {
	mu         sync.Mutex
	held       bool
	foreground []chan struct{} // waiting, oldest first
	background []chan struct{}

	entered int64 // times the gate was passed
	waits   int64
	waited  time.Duration
}

// acquire waits for the right to write, or for ctx to end.
func (g *writeGate) acquire(ctx context.Context) error {
	g.mu.Lock()
	g.entered++
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	turn := make(chan struct{}, 1)
	fg := store.IsForeground(ctx)
	if fg {
		g.foreground = append(g.foreground, turn)
	} else {
		g.background = append(g.background, turn)
	}
	g.mu.Unlock()
	start := time.Now()
	select {
	case <-turn:
		g.mu.Lock()
		g.waits++
		g.waited += time.Since(start)
		g.mu.Unlock()
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	if g.remove(turn, fg) {
		g.entered--
		g.mu.Unlock()
		return ctx.Err()
	}
	g.mu.Unlock()
	// The turn came as ctx ended: pass it on.
	<-turn
	g.release()
	return ctx.Err()
}

// remove takes turn out of its queue, and reports whether it was there.
func (g *writeGate) remove(turn chan struct{}, fg bool) bool {
	q := &g.background
	if fg {
		q = &g.foreground
	}
	for i, t := range *q {
		if t == turn {
			*q = append((*q)[:i], (*q)[i+1:]...)
			return true
		}
	}
	return false
}

// release hands the right to write to the next waiter: foreground first.
func (g *writeGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	var next chan struct{}
	switch {
	case len(g.foreground) > 0:
		next, g.foreground = g.foreground[0], g.foreground[1:]
	case len(g.background) > 0:
		next, g.background = g.background[0], g.background[1:]
	default:
		g.held = false
		return
	}
	next <- struct{}{}
}

// passes counts the times the gate was passed so far.
func (g *writeGate) passes() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.entered
}

// stats are the waits so far, and whether the gate is held now.
func (g *writeGate) stats() (waits int64, waited time.Duration, held bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waits, g.waited, g.held
}
