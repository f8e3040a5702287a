package jobs

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// TestGroup: calls that arrive while a batch runs go together in the next
// batch, no more of them than size allows, and each call returns once its
// batch has run.
func TestGroup(t *testing.T) {
	type call struct {
		n    int
		done bool
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var batches [][]int
	g := group[*call]{
		size: func([]*call) int { return 4 },
		run: func(batch []*call) {
			if batch[0].n == 0 {
				<-release // hold the first batch while the others arrive
			}
			mu.Lock()
			var ns []int
			for _, c := range batch {
				c.done = true
				ns = append(ns, c.n)
			}
			batches = append(batches, ns)
			mu.Unlock()
		},
	}
	calls := make([]*call, 11)
	var wg sync.WaitGroup
	for i := range calls {
		calls[i] = &call{n: i}
		wg.Go(func() {
			g.do(calls[i])
			if !calls[i].done {
				t.Errorf("call %d returned before its batch ran", i)
			}
		})
		// The first call leads; the others queue behind it in order.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			g.mu.Lock()
			running, queued := g.busy, len(g.queue)
			g.mu.Unlock()
			if running && queued == i {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("call %d never queued", i)
			}
		}
	}
	close(release)
	wg.Wait()
	want := [][]int{{0}, {1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10}}
	if !slices.EqualFunc(batches, want, slices.Equal) {
		t.Errorf("batches %v, want %v", batches, want)
	}
}
