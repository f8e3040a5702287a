package jobs

import "sync"

// group runs calls in batches without a goroutine of its own: calls that
// arrive while a batch runs wait and go together in the next one. The first
// caller to find no batch running runs the batch, for itself and everyone
// waiting, then hands the turn to the oldest waiter; every caller returns
// once the batch that holds its call has run.
type group[T any] struct {
	// size is how many of the waiting calls, oldest first, go in the next
	// batch: at least one.
	size func(waiting []T) int
	// run runs a batch, leaving each call's result in the call.
	run func(batch []T)

	mu    sync.Mutex
	queue []*turn[T]
	busy  bool
}

// turn is one call waiting in a group.
type turn[T any] struct {
	call     T
	wake     chan struct{} // one send: finished, or lead the next batch
	finished bool          // set under group.mu before wake
}

// do runs call in a batch and returns once that batch has run.
func (g *group[T]) do(call T) {
	me := &turn[T]{call: call, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, me)
	if g.busy {
		g.mu.Unlock()
		<-me.wake
		if me.finished {
			return
		}
		// Our turn to run a batch: we are at the head of the queue.
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	g.mu.Lock()
	waiting := make([]T, len(g.queue))
	for i, t := range g.queue {
		waiting[i] = t.call
	}
	n := max(1, min(g.size(waiting), len(waiting)))
	batch := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()

	g.run(waiting[:n])

	g.mu.Lock()
	for _, t := range batch {
		if t != me {
			t.finished = true
			t.wake <- struct{}{}
		}
	}
	if len(g.queue) > 0 {
		g.queue[0].wake <- struct{}{} // not finished: it runs the next batch
	} else {
		g.busy = false
	}
	g.mu.Unlock()
}
