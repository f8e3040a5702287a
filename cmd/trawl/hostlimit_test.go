package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/store/postgres/pgtest"
)

// stampedSite serves a home page linking to n pages and records when each
// request arrived and which User-Agent sent it.
type stampedSite struct {
	*httptest.Server
	mu     sync.Mutex
	stamps []time.Time
	agents map[string]int
}

func newStampedSite(t *testing.T, n int) *stampedSite {
	s := &stampedSite{agents: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stamps = append(s.stamps, time.Now())
		s.agents[r.UserAgent()]++
		s.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString("<html><head><title>page</title></head><body>")
		if r.URL.Path == "/" {
			for i := range n {
				fmt.Fprintf(&b, `<a href="/p/%d">page %d</a>`, i, i)
			}
		}
		b.WriteString("</body></html>")
		fmt.Fprint(w, b.String())
	}))
	t.Cleanup(s.Close)
	return s
}

// busiestSecond is the most requests that arrived within any one second.
func (s *stampedSite) busiestSecond() int {
	s.mu.Lock()
	stamps := slices.Clone(s.stamps)
	s.mu.Unlock()
	slices.SortFunc(stamps, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i, t0 := range stamps {
		n := 0
		for _, t := range stamps[i:] {
			if t.Sub(t0) >= time.Second {
				break
			}
			n++
		}
		most = max(most, n)
	}
	return most
}

// TestHostLimitAcrossNodes runs two trawl nodes on one PostgreSQL database,
// each with two scrape workers, crawling one local host limited to 4
// requests/s. Each node alone could send that many, so without limits shared
// between the nodes the host would see about 8 a second. The requests the
// host recorded hold no second with more than the limit and the burst (1).
// That is a property of the shared limiter, not of the machine's speed.
func TestHostLimitAcrossNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("crawls for several seconds")
	}
	t.Parallel()
	dbURL := pgtest.URL(t)
	const pages, rps, burst = 30, 4, 1
	site := newStampedSite(t, pages)
	node := func(name string) *instance {
		return start(t, map[string]string{
			"TRAWL_DATABASE_URL":           dbURL,
			"TRAWL_DATA_DIR":               t.TempDir(),
			"TRAWL_API_KEY":                "trawl_test_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae",
			"TRAWL_SECRET_KEY":             "hostlimit-test-key-Zq8vN3pLw5Kx2RtY7mHc4Jf9",
			"TRAWL_ALLOW_PRIVATE_NETWORKS": "true",
			"TRAWL_SCRAPE_WORKERS":         "2",
			"TRAWL_HOST_LIMITS":            fmt.Sprintf("127.0.0.1=%d/8", rps),
			"TRAWL_USER_AGENT":             "trawl-test-" + name,
		})
	}
	a, b := node("a"), node("b")
	var rec jobRecord
	if code := a.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q]}`, site.URL), &rec); code != 200 {
		t.Fatalf("create the crawl: %d", code)
	}
	end := b.waitTerminal(rec.ID, 120*time.Second)
	if end.Status != "finished" || end.DataRowsCount != pages+1 {
		t.Fatalf("crawl ended %s with %d rows, want finished with %d", end.Status, end.DataRowsCount, pages+1)
	}
	site.mu.Lock()
	agents := fmt.Sprint(site.agents)
	site.mu.Unlock()
	if got := site.busiestSecond(); got > rps+burst {
		t.Errorf("the host saw %d requests within one second, want at most %d (limit %d/s + burst %d); requests by node: %s",
			got, rps+burst, rps, burst, agents)
	}
	t.Logf("requests by node: %s", agents)
}

// TestHostLimitSettings checks that a bad politeness setting stops trawl at
// start with an error that names the setting and says what is allowed.
func TestHostLimitSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, want string
	}{
		{"TRAWL_HOST_RPS", "0", "TRAWL_HOST_RPS): rate \"0\" must be a number of requests per second above 0"},
		{"TRAWL_HOST_RPS", "fast", "TRAWL_HOST_RPS): rate \"fast\" must be a number"},
		{"TRAWL_HOST_RPS", "NaN", "must be a number of requests per second"},
		{"TRAWL_HOST_CONCURRENCY", "0", "TRAWL_HOST_CONCURRENCY): concurrency \"0\" must be a whole number from 1 to 10000"},
		{"TRAWL_HOST_CONCURRENCY", "2.5", "must be a whole number from 1 to 10000"},
		{"TRAWL_HOST_LIMITS", "docs.example.com=200", "TRAWL_HOST_LIMITS): entry \"docs.example.com=200\": no '/' between rate and concurrency; an entry is host=rate/concurrency"},
		{"TRAWL_HOST_LIMITS", "docs.example.com", "no '='"},
		{"TRAWL_HOST_LIMITS", "https://docs.example.com=5/2", "is not a host name"},
		{"TRAWL_HOST_LIMITS", "docs.*.com=5/2", "is not a host name (a leading *. is the only wildcard"},
		{"TRAWL_HOST_LIMITS", "a.example.com=5/2,a.example.com=6/2", "host a.example.com is listed twice"},
		{"TRAWL_HOST_LIMITS", "a.example.com=-1/2", "rate \"-1\" must be a number of requests per second above 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_NO_BROWSER": "true", tt.name: tt.value}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, &syncBuffer{}, &syncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s=%q: got error %v, want one containing %q", tt.name, tt.value, err, tt.want)
			}
		})
	}
}
