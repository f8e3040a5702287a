package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"time"
)

// receiver is the webhook endpoint the benchmark delivers to: a plain
// net/http server on 127.0.0.1 that reads the body, notes when each
// webhook-id first arrived and answers 204. It is safe for concurrent use.
type receiver struct {
	srv *http.Server
	url string

	mu      sync.Mutex
	arrived map[string]time.Time // first arrival per webhook-id
	dups    int                  // requests for an id already seen
	last    time.Time            // latest first arrival
	want    int
	done    chan struct{} // closed once want distinct ids have arrived
}

// startReceiver listens on a free loopback port and serves until close.
func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("receiver: listen: %w", err)
	}
	r := &receiver{url: "http://" + ln.Addr().String() + "/hook", done: make(chan struct{})}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// ServeHTTP records the request and answers 204 No Content.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	id := req.Header.Get("webhook-id")
	now := time.Now()
	r.mu.Lock()
	if _, seen := r.arrived[id]; seen || id == "" {
		r.dups++
	} else {
		r.arrived[id] = now
		r.last = now
		if len(r.arrived) == r.want {
			close(r.done)
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// reset forgets every arrival and waits for want distinct ids from now on.
func (r *receiver) reset(want int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.arrived = make(map[string]time.Time, want)
	r.dups, r.last, r.want = 0, time.Time{}, want
	r.done = make(chan struct{})
}

// wait blocks until the wanted number of distinct ids has arrived, ctx ends,
// or within passes; it reports whether all arrived.
func (r *receiver) wait(ctx context.Context, within time.Duration) bool {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	t := time.NewTimer(within)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// snapshot returns a copy of the arrivals so far, the duplicate count and
// the latest first arrival.
func (r *receiver) snapshot() (map[string]time.Time, int, time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.arrived), r.dups, r.last
}

// close stops the server.
func (r *receiver) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
