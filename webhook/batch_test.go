package webhook_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl"
)

// TestBatchStepsAsideForABusyReceiver emits 30 events at once (one delivery
// job) to a receiver that holds the first requests until the rest have had
// to step aside: the events that found no free slot go again
// in a job of their own, and every event reaches the receiver exactly once,
// on attempt 1, its attempt in the delivery log.
func TestBatchStepsAsideForABusyReceiver(t *testing.T) {
	t.Parallel()
	b := newBench(t, benchOptions{})
	const n = 30
	hold := make(chan struct{})
	var release sync.Once
	rcv, url := serve(t, func(k int, w http.ResponseWriter, _ *http.Request) {
		if k <= 8 { // every slot the receiver has on this node
			<-hold
		}
	})
	job, events := b.send(&trawl.Webhook{URL: url}, n)
	// The held requests keep every slot of the receiver; the others of the
	// batches step aside. Once they have, the receiver answers.
	deadline := time.Now().Add(30 * time.Second)
	for len(rcv.got()) < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests arrived, want the 8 the receiver holds", len(rcv.got()))
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	time.Sleep(200 * time.Millisecond) // longer than an attempt waits for a slot: the rest step aside
	release.Do(func() { close(hold) })

	for _, ev := range events {
		if e := b.settled(ev.ID, 30*time.Second); e.State != trawl.EventDelivered || e.Attempts != 1 {
			t.Errorf("event %s: %s after %d attempts, want delivered on attempt 1", ev.ID, e.State, e.Attempts)
		}
	}
	seen := map[string]int{}
	for _, r := range rcv.got() {
		seen[r.header.Get("webhook-id")]++
	}
	for _, ev := range events {
		if seen[ev.ID] != 1 {
			t.Errorf("event %s reached the receiver %d times, want once", ev.ID, seen[ev.ID])
		}
	}
	log := b.attempts(job.ID)
	if len(log) != n {
		t.Errorf("delivery log holds %d attempts, want %d", len(log), n)
	}
	for _, a := range log {
		if a.Attempt != 1 || a.StatusCode != 200 {
			t.Errorf("attempt %+v, want attempt 1 answered 200", a)
		}
	}
}
