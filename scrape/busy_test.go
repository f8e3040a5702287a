package scrape

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBusy(t *testing.T) {
	t.Parallel()
	srv := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {})
	f := newTestFetcher(t, FetcherOptions{PerHostRate: 0.1, PerHostBurst: 1})
	if err := f.Busy(srv.URL+"/a", 300*time.Millisecond); err != nil {
		t.Fatalf("a host never fetched is busy: %v", err)
	}
	if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/a"}); err != nil {
		t.Fatal(err)
	}
	// The one token of a limiter of one request per 10 s is spent: the next
	// request would wait up to 10 s.
	err := f.Busy(srv.URL+"/b", 300*time.Millisecond)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Wait < 5*time.Second || busy.Wait > 10*time.Second {
		t.Fatalf("got %v, want a BusyError of up to 10s", err)
	}
	if err := f.Busy(srv.URL+"/b", 20*time.Second); err != nil {
		t.Errorf("with enough patience: %v", err)
	}
	if err := f.Busy("http://other.invalid/", 300*time.Millisecond); err != nil {
		t.Errorf("another host: %v", err)
	}
}
