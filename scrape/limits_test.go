package scrape

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseHostLimits(t *testing.T) {
	t.Parallel()
	got, err := ParseHostLimits([]string{"Docs.Example.com=200/32, *.example.org=0.5/1", "127.0.0.1=1000000/10000"})
	if err != nil {
		t.Fatal(err)
	}
	want := []HostLimit{
		{Pattern: "docs.example.com", Rate: 200, Concurrency: 32},
		{Pattern: "*.example.org", Rate: 0.5, Concurrency: 1},
		{Pattern: "127.0.0.1", Rate: 1e6, Concurrency: 10000},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseHostLimits (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"x=0/1", "x=1/0", "x=1e7/1", "x=1/10001", "x=inf/1", "x=1/1/1", "=1/1", "*.=1/1", "*=1/1",
		"a.*.b=1/1", "x:80=1/1", "x/y=1/1", ".x=1/1", "x.=1/1", "x=1", "x"} {
		if _, err := ParseHostLimits([]string{bad}); err == nil {
			t.Errorf("ParseHostLimits(%q): got no error", bad)
		}
	}
}

func TestHostLimitsOf(t *testing.T) {
	t.Parallel()
	list, err := ParseHostLimits([]string{"docs.example.com=200/32,*.example.com=50/8,*.a.example.com=20/2"})
	if err != nil {
		t.Fatal(err)
	}
	f := newTestFetcher(t, FetcherOptions{PerHostRate: 10, PerHostConcurrency: 4, HostLimits: list})
	tests := []struct {
		key  string
		rate float64
		conc int
	}{
		{"docs.example.com:443", 200, 32}, // exact beats wildcard
		{"www.example.com:80", 50, 8},
		{"x.y.example.com:80", 50, 8},
		{"b.a.example.com:80", 20, 2}, // longer wildcard first
		{"a.example.com:80", 50, 8},   // *.a.example.com does not cover a.example.com
		{"example.com:443", 10, 4},    // nor does *.example.com cover example.com
		{"notexample.com:443", 10, 4},
		{"[::1]:8080", 10, 4},
	}
	for _, tt := range tests {
		l := f.limits.of(hostnameOf(tt.key))
		if l.Rate != tt.rate || f.HostConcurrency(tt.key) != tt.conc {
			t.Errorf("%s: got %v/%d, want %v/%d", tt.key, l.Rate, f.HostConcurrency(tt.key), tt.rate, tt.conc)
		}
	}
}

// TestHostLimitCeiling: a host's own limits size its semaphore and limiter,
// and a request's Rate can lower the rate but never raise it.
func TestHostLimitCeiling(t *testing.T) {
	t.Parallel()
	f := newTestFetcher(t, FetcherOptions{PerHostRate: 10, PerHostConcurrency: 4,
		HostLimits: []HostLimit{{Pattern: "fast.test", Rate: 300, Concurrency: 16}}})
	for _, tt := range []struct {
		key       string
		reqRate   float64
		wantRate  float64
		wantSlots int
	}{
		{"fast.test:80", 0, 300, 16},
		{"fast.test:80", 1000, 300, 16},
		{"fast.test:80", 30, 30, 16},
		{"slow.test:80", 1000, 10, 4},
		{"slow.test:80", 2, 2, 4},
	} {
		hs := f.acquireHost(tt.key)
		got := float64(f.limiter(hs, tt.reqRate).Limit())
		f.releaseHost(hs)
		if got != tt.wantRate || cap(hs.sem) != tt.wantSlots {
			t.Errorf("%s with Rate %v: got %v/s and %d slots, want %v/s and %d", tt.key, tt.reqRate, got, cap(hs.sem), tt.wantRate, tt.wantSlots)
		}
	}
}

// memSlots is a SlotSource in memory, like the database's: one next free
// slot per host.
type memSlots struct {
	mu    sync.Mutex
	next  map[string]time.Time
	calls int
}

func (m *memSlots) ReserveSlots(_ context.Context, host string, n int, every, tolerance time.Duration) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	now := time.Now()
	start := m.next[host]
	if start.Before(now.Add(-tolerance)) {
		start = now.Add(-tolerance)
	}
	m.next[host] = start.Add(time.Duration(n) * every)
	return start.Sub(now), nil
}

// TestSharedSlots runs two Fetchers (two nodes) with one slot source against
// one host: together they keep to the host's rate, as the requests' arrival
// times show, and a fast host's slots are reserved in batches.
func TestSharedSlots(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var stamps []time.Time
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		stamps = append(stamps, time.Now())
		mu.Unlock()
	})
	slots := &memSlots{next: map[string]time.Time{}}
	const rps = 20
	nodes := []*Fetcher{
		newTestFetcher(t, FetcherOptions{PerHostRate: rps, PerHostConcurrency: 4, Slots: slots}),
		newTestFetcher(t, FetcherOptions{PerHostRate: rps, PerHostConcurrency: 4, Slots: slots}),
	}
	var wg sync.WaitGroup
	for _, f := range nodes {
		for range 4 {
			wg.Go(func() {
				for range 5 {
					if _, err := f.Fetch(t.Context(), Request{URL: srv.URL}); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	// 40 requests at 20/s: in any 250 ms at most 5 + the burst of 1 (each
	// slot may go up to half a slot late).
	mu.Lock()
	stamps = append([]time.Time(nil), stamps...)
	mu.Unlock()
	if len(stamps) != 40 {
		t.Fatalf("%d requests, want 40", len(stamps))
	}
	sortTimes(stamps)
	for i, t0 := range stamps {
		n := 0
		for _, s := range stamps[i:] {
			if s.Sub(t0) < 250*time.Millisecond {
				n++
			}
		}
		if n > 6 {
			t.Fatalf("%d requests within 250 ms from request %d, want at most 6 at %d/s shared by two nodes", n, i, rps)
		}
	}

	// A fast host: one reservation covers many requests.
	fast := &memSlots{next: map[string]time.Time{}}
	f := newTestFetcher(t, FetcherOptions{PerHostRate: 10000, PerHostBurst: 1, Slots: fast})
	for range 20 {
		if _, err := f.Fetch(t.Context(), Request{URL: srv.URL + "/fast"}); err != nil {
			t.Fatal(err)
		}
	}
	if fast.calls >= 20 {
		t.Errorf("%d reservations for 20 requests at 10000/s, want fewer (batches)", fast.calls)
	}
}

func sortTimes(ts []time.Time) { slices.SortFunc(ts, time.Time.Compare) }
