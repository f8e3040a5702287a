package metrics

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape"
)

// fakeSource answers the database questions with fixed numbers.
type fakeSource struct{}

func (fakeSource) JobCounts(context.Context) (map[string]int64, error) {
	return map[string]int64{"finished": 2}, nil
}

func (fakeSource) QueueDepth(context.Context) (map[[2]string]int64, error) {
	return map[[2]string]int64{{"scrape", "available"}: 3, {"webhook", "available"}: 0}, nil
}

// scrapeText returns the metrics as a Prometheus server would read them.
func scrapeText(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body, err := io.ReadAll(w.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

func hasLines(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w+"\n") {
			t.Errorf("metrics lack %q", w)
		}
	}
}

func TestSeries(t *testing.T) {
	t.Parallel()
	m := New(fakeSource{}, slog.New(slog.DiscardHandler))
	m.WatchWriter(func() sql.DBStats {
		return sql.DBStats{MaxOpenConnections: 1, InUse: 1, WaitCount: 7, WaitDuration: 1500 * time.Millisecond}
	})
	m.HTTPRequest("/scrapers/jobs/{id}", "GET", 200, 3*time.Millisecond)
	m.HTTPRequest("/scrapers/jobs/{id}", "GET", 200, 30*time.Millisecond)
	m.HTTPRequest("/scrapers/jobs/{id}", "GET", 404, time.Millisecond)
	m.Fetched(scrape.ClassLoopback, scrape.OutcomeOK)
	m.Fetched(scrape.ClassLoopback, scrape.OutcomeOK)
	m.Fetched(scrape.ClassNone, scrape.OutcomeBlocked)
	m.Fetched("elsewhere", "odd") // outside the sets: counted all the same

	text := scrapeText(t, m)
	hasLines(t, text,
		`trawl_http_request_duration_seconds_count{code="200",method="GET",route="/scrapers/jobs/{id}"} 2`,
		`trawl_http_request_duration_seconds_bucket{code="200",method="GET",route="/scrapers/jobs/{id}",le="0.005"} 1`,
		`trawl_http_request_duration_seconds_count{code="404",method="GET",route="/scrapers/jobs/{id}"} 1`,
		`trawl_fetches_total{class="loopback",outcome="ok"} 2`,
		`trawl_fetches_total{class="none",outcome="blocked"} 1`,
		`trawl_fetches_total{class="public",outcome="timeout"} 0`,
		`trawl_fetches_total{class="elsewhere",outcome="odd"} 1`,
		`trawl_db_writer_waits_total 7`,
		`trawl_db_writer_wait_seconds_total 1.5`,
		`trawl_db_writer_connections{state="in_use"} 1`,
		`trawl_db_writer_connections{state="idle"} 0`,
		`trawl_db_writer_connections_max 1`,
		`trawl_queue_jobs{queue="scrape",state="available"} 3`,
		`trawl_queue_jobs{queue="webhook",state="available"} 0`,
		`trawl_jobs{status="finished"} 2`,
	)
	// Every class and outcome is there from the start.
	for _, c := range scrape.FetchClasses() {
		for _, o := range scrape.FetchOutcomes() {
			if !strings.Contains(text, `trawl_fetches_total{class="`+c+`",outcome="`+o+`"} `) {
				t.Errorf("no series for fetches %s/%s", c, o)
			}
		}
	}
}

// TestHTTPRequestConcurrent records from many goroutines at once, some
// making new series, so the race detector sees the copy-on-write map.
func TestHTTPRequestConcurrent(t *testing.T) {
	t.Parallel()
	m := New(fakeSource{}, slog.New(slog.DiscardHandler))
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				m.HTTPRequest("/r", "GET", 200+(g+i)%5, time.Millisecond)
			}
		}()
	}
	for range 8 {
		<-done
	}
	text := scrapeText(t, m)
	var total int
	for code := 200; code < 205; code++ {
		if strings.Contains(text, `trawl_http_request_duration_seconds_count{code="`+strconv.Itoa(code)+`",method="GET",route="/r"} 320`) {
			total++
		}
	}
	if total != 5 {
		t.Errorf("want 5 series of 320 requests each:\n%s", text)
	}
}

// BenchmarkHTTPRequest is the metrics' cost per API request: a series
// already seen, from all cores at once. It must not allocate.
func BenchmarkHTTPRequest(b *testing.B) {
	m := New(fakeSource{}, slog.New(slog.DiscardHandler))
	m.HTTPRequest("/scrapers/jobs/{id}", "GET", 200, time.Millisecond)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.HTTPRequest("/scrapers/jobs/{id}", "GET", 200, time.Millisecond)
		}
	})
}
