package webhook

import (
	"context"
	"sync"
	"time"
)

// hostLimiter bounds the attempts in flight per receiver host. Entries live
// only while a host has attempts in flight or waiting.
type hostLimiter struct {
	limit int
	mu    sync.Mutex
	hosts map[string]*hostSlots
}

type hostSlots struct {
	sem  chan struct{}
	refs int // holders and waiters
}

func newHostLimiter(limit int) *hostLimiter {
	return &hostLimiter{limit: limit, hosts: map[string]*hostSlots{}}
}

// acquire waits up to wait for a slot of host. It returns a release func and
// true, or false when no slot freed up in time (or ctx ended).
func (l *hostLimiter) acquire(ctx context.Context, host string, wait time.Duration) (func(), bool) {
	l.mu.Lock()
	h := l.hosts[host]
	if h == nil {
		h = &hostSlots{sem: make(chan struct{}, l.limit)}
		l.hosts[host] = h
	}
	h.refs++
	l.mu.Unlock()

	unref := func() {
		l.mu.Lock()
		h.refs--
		if h.refs == 0 {
			delete(l.hosts, host)
		}
		l.mu.Unlock()
	}
	select {
	case h.sem <- struct{}{}:
		return func() { <-h.sem; unref() }, true
	default:
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case h.sem <- struct{}{}:
		return func() { <-h.sem; unref() }, true
	case <-timer.C:
	case <-ctx.Done():
	}
	unref()
	return nil, false
}
