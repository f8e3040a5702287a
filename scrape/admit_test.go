package scrape

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestAdmitSharesTheHostRate(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			w.Write([]byte("User-agent: *\nDisallow: /private\n"))
			return
		}
		w.Write([]byte("ok"))
	})
	ctx := context.Background()
	if err := newTestFetcher(t, FetcherOptions{}).Admit(ctx, srv.URL+"/private/page", 0, true); !errors.Is(err, ErrRobotsDisallowed) {
		t.Fatalf("admit a disallowed URL: got %v, want ErrRobotsDisallowed", err)
	}

	f := newTestFetcher(t, FetcherOptions{PerHostRate: 0.001})
	if err := f.Admit(ctx, srv.URL+"/a", 0, false); err != nil {
		t.Fatalf("first admit: %v", err)
	}
	// The one token of the host is spent: a fetch that must start within a
	// second cannot.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := f.Fetch(short, Request{URL: srv.URL + "/b"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("fetch after admit: got %v, want a rate wait past the deadline", err)
	}
	if err := f.Admit(short, srv.URL+"/c", 0, false); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second admit: got %v, want a rate wait past the deadline", err)
	}
	if err := f.Admit(ctx, "file:///etc/passwd", 0, false); err == nil {
		t.Fatal("admit a file URL: got nil error")
	}
}
