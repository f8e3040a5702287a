package scrape

import (
	"context"
	"fmt"
	"math"
	"time"
)

// SlotSource spaces the requests of every node sharing it: it hands out
// request slots of a host one after another, whichever node asks. A slot
// source over the shared database makes a host's rate hold across nodes.
type SlotSource interface {
	// ReserveSlots reserves n consecutive slots of host, every apart, and
	// returns how long from now the first one starts (≤ 0: at once). A
	// host unused for a while may start up to tolerance in the past, which
	// is the burst a host's limit allows. It is safe for concurrent use.
	ReserveSlots(ctx context.Context, host string, n int, every, tolerance time.Duration) (time.Duration, error)
}

// slotBatch is how much time one reservation covers: several requests' slots
// are reserved at once when the host's rate is high, so that a fast host
// costs the database one round trip per slotBatch, not one per request.
// Slots a node does not use (its tasks ran out) are lost, which costs at most
// this much of the host's rate.
const slotBatch = 20 * time.Millisecond

// maxSlotsPerBatch bounds one reservation.
const maxSlotsPerBatch = 512

// sharedSlot waits for the next slot of hs in f.opts.Slots, reserving more
// when this node has none left. It does nothing without a slot source.
func (f *Fetcher) sharedSlot(ctx context.Context, hs *hostState) error {
	if f.opts.Slots == nil {
		return nil
	}
	f.mu.Lock()
	r := hs.limit.Rate
	if hs.crawlLimit > 0 && float64(hs.crawlLimit) < r {
		r = float64(hs.crawlLimit)
	}
	burst := f.opts.PerHostBurst
	if hs.crawlLimit > 0 {
		burst = 1
	}
	f.mu.Unlock()
	every := time.Duration(math.Max(1, float64(time.Second)/r))
	tolerance := time.Duration(burst-1) * every

	hs.slotMu.Lock()
	now := time.Now()
	// A slot left unused for more than half a slot is gone: sending on it
	// late would crowd the slots other nodes hold after it.
	stale := now.Add(-tolerance - every/2)
	for len(hs.slots) > 0 && hs.slots[0].Before(stale) {
		hs.slots = hs.slots[1:]
	}
	if len(hs.slots) == 0 {
		n := int(min(max(1, int64(slotBatch/every)), maxSlotsPerBatch))
		wait, err := f.opts.Slots.ReserveSlots(ctx, hs.key, n, every, tolerance)
		if err != nil {
			hs.slotMu.Unlock()
			return fmt.Errorf("reserve a request slot of %s: %w", hs.key, err)
		}
		start := time.Now().Add(wait)
		for i := range n {
			hs.slots = append(hs.slots, start.Add(time.Duration(i)*every))
		}
	}
	at := hs.slots[0]
	hs.slots = hs.slots[1:]
	hs.slotMu.Unlock()
	if d := time.Until(at); d > 0 {
		return sleep(ctx, d)
	}
	return nil
}
