package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trawlhq/trawl/store/sqlite"
)

// site is a small local website for crawls.
type site struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
	// gate, when set, holds every page but the index until it is closed.
	gate chan struct{}
}

const indexHTML = `<!doctype html><html><head><title>Home of Tests</title></head><body>
<h1>Welcome</h1><p>Hello <b>crawler</b>.</p>
<ul><li><a href="/a">Page A</a></li><li><a href="b#frag">Page B</a></li><li><a href="/a">A again</a></li>
<li><a href="/missing">Missing</a></li><li><a href="/doc.pdf">PDF</a></li><li><a href="/private/x">Private</a></li>
<li><a href="https://elsewhere.invalid/">Elsewhere</a></li><li><a href="mailto:x@y.z">Mail</a></li></ul>
</body></html>`

func newSite(t *testing.T, pages int, gated bool) *site {
	s := &site{hits: map[string]int{}}
	if gated {
		s.gate = make(chan struct{})
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		gate := s.gate
		s.mu.Unlock()
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		if gate != nil && r.URL.Path != "/" {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/" && pages == 0:
			fmt.Fprint(w, indexHTML)
		case r.URL.Path == "/":
			var b strings.Builder
			b.WriteString("<html><head><title>Index</title></head><body><ul>")
			for i := range pages {
				fmt.Fprintf(&b, `<li><a href="/p/%d">page %d</a></li>`, i, i)
			}
			b.WriteString("</ul></body></html>")
			fmt.Fprint(w, b.String())
		case r.URL.Path == "/a":
			fmt.Fprint(w, `<html><head><title>A</title></head><body><h2>Section A</h2><a href="/a/deeper">deeper</a></body></html>`)
		case r.URL.Path == "/b":
			fmt.Fprint(w, `<html><head><title>B</title></head><body><p>Bee</p></body></html>`)
		case r.URL.Path == "/doc.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			fmt.Fprint(w, "%PDF-1.4")
		case strings.HasPrefix(r.URL.Path, "/p/"):
			fmt.Fprintf(w, `<html><head><title>Page %s</title></head><body><p>Body of %s</p><a href="/">home</a></body></html>`, r.URL.Path, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) hitCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

func (s *site) open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
}

// resultsPage is a page of results as a client reads it.
type resultsPage struct {
	Meta struct {
		Total           int64   `json:"total"`
		PerPage         int64   `json:"perPage"`
		CurrentPage     int64   `json:"currentPage"`
		LastPage        int64   `json:"lastPage"`
		FirstPage       int64   `json:"firstPage"`
		FirstPageURL    string  `json:"firstPageUrl"`
		LastPageURL     string  `json:"lastPageUrl"`
		NextPageURL     *string `json:"nextPageUrl"`
		PreviousPageURL *string `json:"previousPageUrl"`
	} `json:"meta"`
	Data []struct {
		ID        string         `json:"id"`
		JobID     int64          `json:"jobId"`
		Data      map[string]any `json:"data"`
		CreatedAt string         `json:"createdAt"`
		UpdatedAt string         `json:"updatedAt"`
	} `json:"data"`
}

func (in *instance) allRows(id int64) []map[string]any {
	in.t.Helper()
	var out []map[string]any
	for page := 1; ; page++ {
		var p resultsPage
		if code := in.do("GET", fmt.Sprintf("/scrapers/jobs/%d/results?page=%d&limit=3", id, page), nil, &p); code != 200 {
			in.t.Fatalf("results page %d: status %d", page, code)
		}
		for _, d := range p.Data {
			if d.JobID != id || d.ID == "" || d.CreatedAt == "" {
				in.t.Fatalf("result wrapper incomplete: %+v", d)
			}
			out = append(out, d.Data)
		}
		if p.Meta.NextPageURL == nil {
			if int64(len(out)) != p.Meta.Total {
				in.t.Fatalf("paged %d rows, meta.total says %d", len(out), p.Meta.Total)
			}
			return out
		}
	}
}

// testEnv is trawl's environment in these tests: the defaults, but for an
// API key, private targets allowed (every site and receiver is on
// loopback) and info logs.
func testEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"TRAWL_API_KEY":                "trawl_test_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1Ae",
		"TRAWL_ALLOW_PRIVATE_NETWORKS": "true",
		"TRAWL_LOG_LEVEL":              "info",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestCrawlEndToEnd(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		web := newSite(t, 0, false)
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		// With the default batching window (2 s), a crawl of a few pages at
		// the polite 10 requests/s fits in one window, so its rows go out in
		// one or two data events, not one a page.
		in := start(t, testEnv(db))

		body := fmt.Sprintf(`{"urls": [%q], "outputFormat": ["text", "markdown"], "webhook": {"url": %q,
		"events": ["scraper.job.started", "scraper.data.scraped", "scraper.data.rows_added", "scraper.job.finished"],
		"headers": {"X-Shared-Secret": "s3cr3t"}}}`, web.URL, hook.URL+"/hook")
		var created jobRecord
		if code := in.do("POST", "/scrapers/crawler/jobs", body, &created); code != 200 {
			t.Fatalf("create: status %d", code)
		}
		if created.ID == 0 || created.Status != "pending" || created.Scraper.Slug != "crawler" || created.StartedAt != nil {
			t.Fatalf("created record: %+v", created)
		}
		rec := in.waitTerminal(created.ID, 90*time.Second)
		if rec.Status != "finished" || rec.StopReason != nil || rec.FinishedAt == nil || rec.StartedAt == nil {
			t.Fatalf("finished record: %+v", rec)
		}

		rows := in.allRows(created.ID)
		byURL := map[string]map[string]any{}
		for _, r := range rows {
			u := r["url"].(string)
			if byURL[u] != nil {
				t.Fatalf("url %s stored twice", u)
			}
			byURL[u] = r
		}
		wantURLs := []string{web.URL + "/", web.URL + "/a", web.URL + "/b", web.URL + "/missing", web.URL + "/doc.pdf", web.URL + "/private/x"}
		var gotURLs []string
		for u := range byURL {
			gotURLs = append(gotURLs, u)
		}
		slices.Sort(gotURLs)
		slices.Sort(wantURLs)
		if !slices.Equal(gotURLs, wantURLs) {
			t.Fatalf("crawled %v, want %v (depth 1, same host, fragments dropped, de-duplicated)", gotURLs, wantURLs)
		}
		if int64(len(rows)) != rec.DataRowsCount {
			t.Fatalf("%d rows, dataRowsCount %d", len(rows), rec.DataRowsCount)
		}
		home := byURL[web.URL+"/"]
		if home["title"] != "Home of Tests" || home["depth"] != float64(0) || home["statusCode"] != float64(200) || home["statusText"] != "OK" {
			t.Errorf("home row: %v", home)
		}
		if md, _ := home["markdown"].(string); !strings.Contains(md, "# Welcome") || !strings.Contains(md, "[Page A]("+web.URL+"/a)") || !strings.Contains(md, "- ") {
			t.Errorf("home markdown is not real Markdown:\n%s", md)
		}
		if txt, _ := home["text"].(string); !strings.Contains(txt, "Hello crawler.") {
			t.Errorf("home text: %q", txt)
		}
		if _, ok := home["html"]; ok {
			t.Errorf("html was not asked for but is in the row")
		}
		if r := byURL[web.URL+"/missing"]; r["statusCode"] != float64(404) || r["error"] == nil {
			t.Errorf("404 row: %v", r)
		}
		if r := byURL[web.URL+"/doc.pdf"]; !strings.Contains(fmt.Sprint(r["error"]), "Not an HTML page") {
			t.Errorf("pdf row: %v", r)
		}
		if r := byURL[web.URL+"/private/x"]; !strings.Contains(fmt.Sprint(r["error"]), "robots.txt") {
			t.Errorf("robots row: %v", r)
		}
		if hits := web.hitCounts(); hits["/private/x"] != 0 || hits["/a/deeper"] != 0 || hits["/robots.txt"] != 1 {
			t.Errorf("site hits %v: robots-disallowed and too-deep pages must not be fetched, robots.txt once", hits)
		}
		// Credits: the successful page fetches (/, /a, /b, /doc.pdf).
		if rec.CreditsSpent != 4 {
			t.Errorf("creditsSpent %d, want 4", rec.CreditsSpent)
		}

		var events map[string][]delivery
		waitFor(t, 10*time.Second, "the finished event", func() bool {
			events = rc.forJob(created.ID)
			return len(events["scraper.job.finished"]) > 0
		})
		for _, d := range rc.all() {
			if d.Header.Get("X-Shared-Secret") != "s3cr3t" || d.Header.Get("Content-Type") != "application/json" ||
				d.Header.Get("webhook-id") == "" || !strings.HasPrefix(d.Header.Get("User-Agent"), "trawl/") {
				t.Errorf("delivery headers: %v", d.Header)
			}
		}
		if n := len(events["scraper.job.started"]); n != 1 {
			t.Errorf("%d started events, want 1", n)
		}
		fin := events["scraper.job.finished"][0].Body
		if fin["jobStatus"] != "finished" || fin["dataRowsCount"] != float64(rec.DataRowsCount) || fin["creditsSpent"] != float64(4) {
			t.Errorf("finished payload: %v", fin)
		}
		if v, ok := fin["stopReason"]; !ok || v != nil {
			t.Errorf("finished payload stopReason = %v (present %v), want null", v, ok)
		}
		// The finished event carries the download links, and they work without a key.
		links, _ := fin["data"].(map[string]any)
		for _, ext := range []string{"json", "csv", "xlsx"} {
			link, _ := links[ext].(string)
			if !strings.HasPrefix(link, in.base+"/exports/") || !strings.HasSuffix(link, "."+ext) {
				t.Fatalf("finished payload data.%s = %q, want a signed export link", ext, link)
			}
		}
		resp, err := http.Get(links["json"].(string))
		if err != nil {
			t.Fatal(err)
		}
		var exported []map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&exported); err != nil || resp.StatusCode != 200 || int64(len(exported)) != rec.DataRowsCount {
			t.Errorf("the finished event's JSON link: status %d, %d rows, %v; want %d rows", resp.StatusCode, len(exported), err, rec.DataRowsCount)
		}
		resp.Body.Close()
		// Deliveries are at least once and in no set order: count each event once
		// and wait for all the rows.
		sum := func(name, field string) int {
			n := 0
			seen := map[string]bool{}
			for _, d := range rc.forJob(created.ID)[name] {
				if id := d.Header.Get("webhook-id"); !seen[id] {
					seen[id] = true
					list, _ := d.Body[field].([]any)
					n += len(list)
				}
			}
			return n
		}
		waitFor(t, 10*time.Second, "the data events", func() bool {
			return int64(sum("scraper.data.scraped", "data")) == rec.DataRowsCount &&
				int64(sum("scraper.data.rows_added", "dataRows")) == rec.DataRowsCount
		})
		events = rc.forJob(created.ID)
		if n := len(events["scraper.data.scraped"]); n > 3 {
			t.Errorf("%d data events for %d rows: rows are not batched", n, rec.DataRowsCount)
		}
	})
}

func TestLimitIsExact(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		web := newSite(t, 30, false)
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		in := start(t, testEnv(db))
		var created jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"limit":7,"webhook":{"url":%q}}`, web.URL, hook.URL), &created)
		rec := in.waitTerminal(created.ID, 90*time.Second)
		if rec.Status != "finished" || rec.StopReason == nil || *rec.StopReason != "data_limit_exceeded" || rec.DataRowsCount != 7 {
			t.Fatalf("record: %+v, want finished with data_limit_exceeded and 7 rows", rec)
		}
		if rows := in.allRows(created.ID); len(rows) != 7 {
			t.Fatalf("%d rows stored, want 7", len(rows))
		}
		if hits := web.hitCounts(); len(hits) > 8 { // robots.txt + at most 7 pages
			t.Errorf("fetched %d paths for a limit of 7: %v", len(hits), hits)
		}
		waitFor(t, 10*time.Second, "the finished event", func() bool { return len(rc.forJob(created.ID)["scraper.job.finished"]) == 1 })
		fin := rc.forJob(created.ID)["scraper.job.finished"][0].Body
		if fin["stopReason"] != "data_limit_exceeded" || fin["dataRowsCount"] != float64(7) {
			t.Errorf("finished payload %v", fin)
		}
		if len(rc.forJob(created.ID)["scraper.data.rows_added"]) != 0 {
			t.Errorf("got rows_added events without subscribing to the alias")
		}
	})
}

func TestStopKeepsRowsAndFinishes(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, db map[string]string) {
		web := newSite(t, 40, true)
		rc := &receiver{}
		hook := httptest.NewServer(rc)
		t.Cleanup(hook.Close)
		in := start(t, testEnv(db))
		var created jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, web.URL, hook.URL), &created)
		// The index is stored; the pages it links to are held at the gate.
		waitFor(t, 15*time.Second, "the index row", func() bool {
			var rec jobRecord
			in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", created.ID), nil, &rec)
			return rec.DataRowsCount == 1
		})
		var stopped jobRecord
		if code := in.do("DELETE", fmt.Sprintf("/scrapers/jobs/%d", created.ID), nil, &stopped); code != 200 {
			t.Fatalf("stop: status %d", code)
		}
		if stopped.JobID != created.ID || stopped.Status != "stopped" {
			t.Fatalf("stop response %+v, want jobId %d and status stopped", stopped, created.ID)
		}
		web.open()
		rec := in.waitTerminal(created.ID, 10*time.Second)
		waitFor(t, 15*time.Second, "the finished event", func() bool { return len(rc.forJob(created.ID)["scraper.job.finished"]) == 1 })
		rec = in.waitTerminal(created.ID, time.Second) // final counts, after in-flight pages landed
		if rec.Status != "stopped" || rec.StopReason == nil || *rec.StopReason != "stopped" {
			t.Fatalf("record after stop: %+v", rec)
		}
		// In-flight pages (at most the per-host concurrency) finish and keep
		// their rows; nothing new starts.
		if rec.DataRowsCount < 1 || rec.DataRowsCount > 1+16 {
			t.Errorf("dataRowsCount %d after stop", rec.DataRowsCount)
		}
		if rows := in.allRows(created.ID); int64(len(rows)) != rec.DataRowsCount {
			t.Errorf("%d rows stored, record says %d", len(rows), rec.DataRowsCount)
		}
		fin := rc.forJob(created.ID)["scraper.job.finished"][0].Body
		if fin["jobStatus"] != "stopped" || fin["dataRowsCount"] != float64(rec.DataRowsCount) {
			t.Errorf("finished payload %v, want stopped with %d rows", fin, rec.DataRowsCount)
		}
		// Stopping again changes nothing.
		var again jobRecord
		if code := in.do("DELETE", fmt.Sprintf("/scrapers/jobs/%d", created.ID), nil, &again); code != 200 || again.Status != "stopped" {
			t.Errorf("second stop: %d %+v", code, again)
		}
	})
}

func TestEgressGuardByDefault(t *testing.T) {
	t.Parallel()
	web := newSite(t, 0, false)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	dir := t.TempDir()
	env := testEnv(map[string]string{"TRAWL_DATA_DIR": dir})
	delete(env, "TRAWL_ALLOW_PRIVATE_NETWORKS")
	in := start(t, env)
	var created jobRecord
	in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, web.URL, hook.URL), &created)
	rec := in.waitTerminal(created.ID, 90*time.Second)
	rows := in.allRows(created.ID)
	if rec.Status != "finished" || len(rows) != 1 || !strings.Contains(fmt.Sprint(rows[0]["error"]), "blocked by the egress policy") ||
		strings.Contains(fmt.Sprint(rows[0]["error"]), "127.0.0.1") {
		t.Fatalf("record %+v rows %v: want one row saying the egress guard blocked it", rec, rows)
	}
	if rec.CreditsSpent != 0 {
		t.Errorf("creditsSpent %d for a blocked fetch", rec.CreditsSpent)
	}
	// The webhook worker tries the started and finished events and is
	// refused before connecting; the attempts say so.
	db, err := sqlite.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitFor(t, 10*time.Second, "blocked delivery attempts", func() bool {
		attempts, _, err := db.Attempts(t.Context(), created.ID, 0, 100)
		if err != nil || len(attempts) < 2 {
			return false
		}
		for _, a := range attempts {
			if a.ErrorClass != "blocked" || a.StatusCode != 0 || a.Error != "blocked by the egress policy" {
				t.Fatalf("attempt %+v, want class blocked", a)
			}
		}
		return true
	})
	if hits := web.hitCounts(); len(hits) != 0 {
		t.Errorf("the site was reached: %v", hits)
	}
	if n := len(rc.all()); n != 0 {
		t.Errorf("the private webhook receiver got %d requests", n)
	}
}
