package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/googleserp"
	"github.com/trawlhq/trawl/scrape/googleserp/serptest"
)

// serpWorld is a fake Google: "pizza austin" has 14 results over two pages
// (page 2 repeats a page-1 result), "tacos austin" 3, "blocked" is always
// Google's captcha. The first tacos search is rate limited (429 with
// Retry-After) and the first request for pizza's page 2 gets the captcha.
func serpWorld(t *testing.T) (*serptest.Server, *atomic.Int32) {
	t.Helper()
	var pizza []serptest.Result
	for i := range 14 {
		pizza = append(pizza, serptest.Result{Title: fmt.Sprintf("Pizza %d", i), Link: fmt.Sprintf("https://pizza%d.example/", i),
			Source: fmt.Sprintf("Pizza %d", i), Snippet: "Wood-fired *pizza* in Austin, open late every day of the week.", Redirect: i%2 == 0})
	}
	pizza[11] = pizza[3]
	searches := map[string]serptest.Search{
		"pizza austin": {Results: pizza, Related: []string{"pizza downtown austin"}, Questions: []string{"Where to eat pizza in Austin?"}},
		"tacos austin": {Results: []serptest.Result{{Title: "Taco A", Link: "https://taco-a.example/"}, {Title: "Taco B", Link: "https://taco-b.example/"},
			{Title: "Taco C", Link: "https://taco-c.example/"}}},
	}
	var trouble atomic.Int32
	var limited, captcha atomic.Bool
	srv := serptest.Start(t, searches, func(w http.ResponseWriter, r *http.Request, _ int) bool {
		q := r.URL.Query()
		switch {
		case q.Get("q") == "blocked":
			w.Write(serptest.Captcha())
			return true
		case q.Get("q") == "tacos austin" && limited.CompareAndSwap(false, true):
			trouble.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case q.Get("q") == "pizza austin" && q.Get("start") == "10" && captcha.CompareAndSwap(false, true):
			trouble.Add(1)
			w.Write(serptest.Captcha())
			return true
		}
		return false
	})
	return srv, &trouble
}

func TestGoogleSERPEndToEnd(t *testing.T) {
	t.Parallel()
	srv, trouble := serpWorld(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_SERP_URL": srv.URL}))

	var created jobRecord
	if code := in.do("POST", "/scrapers/google-serp/jobs", `{"keywords": ["pizza austin", "tacos austin"],
		"location": "Austin,Texas,United States", "hl": "en", "maxPages": 3}`, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != 16 {
		t.Fatalf("record %+v: want finished with 13 + 3 rows", rec)
	}
	links := map[string]bool{}
	for _, row := range in.allRows(created.ID) {
		link, _ := row["link"].(string)
		key := fmt.Sprint(row["keyword"], link)
		if links[key] {
			t.Errorf("%s stored twice", key)
		}
		links[key] = true
		if row["location"] != "Austin,Texas,United States" || row["title"] == "" || row["position"] == nil {
			t.Errorf("row %v", row)
		}
		if row["keyword"] == "pizza austin" && !strings.HasPrefix(link, "https://pizza") {
			t.Errorf("row %v", row)
		}
	}
	if trouble.Load() != 2 {
		t.Errorf("the 429 and the captcha were served %d times, want 2", trouble.Load())
	}
	for _, r := range srv.Requests() {
		if r.UULE != googleserp.UULE("Austin,Texas,United States") || r.HL != "en" || r.Num != 10 {
			t.Errorf("request %+v", r)
		}
	}

	// A limit.
	in.do("POST", "/scrapers/google-serp/jobs", `{"q": "pizza austin", "maxPages": 2, "limit": 5}`, &created)
	if rec := in.waitTerminal(created.ID, 60*time.Second); rec.Status != "finished" || rec.DataRowsCount != 5 ||
		rec.StopReason == nil || *rec.StopReason != "data_limit_exceeded" {
		t.Errorf("limited job: %+v", rec)
	}

	// Synchronous.
	var page struct {
		RequestMetadata   struct{ Status string }      `json:"requestMetadata"`
		SearchInformation struct{ TotalResults int64 } `json:"searchInformation"`
		OrganicResults    []googleserp.Organic         `json:"organicResults"`
		RelatedSearches   []googleserp.RelatedSearch
		RelatedQuestions  []googleserp.RelatedQuestion
		Pagination        googleserp.Pagination
	}
	if code := in.do("GET", "/scrape/google/serp?q=pizza+austin&location=Austin,Texas,United+States", nil, &page); code != 200 ||
		page.RequestMetadata.Status != "ok" || len(page.OrganicResults) != 10 || page.OrganicResults[0].Link != "https://pizza0.example/" ||
		len(page.RelatedSearches) != 1 || len(page.RelatedQuestions) != 1 || page.Pagination.Next == "" || page.SearchInformation.TotalResults == 0 {
		t.Errorf("serp: status %d, %+v", code, page)
	}
	// 14 results on one page, one of them twice: 13.
	var light map[string]any
	if code := in.do("GET", "/scrape/google-light/serp?q=pizza+austin&num=20", nil, &light); code != 200 ||
		len(light["organicResults"].([]any)) != 13 || light["relatedQuestions"] != nil || light["relatedSearches"] == nil {
		t.Errorf("light serp: status %d, %v", code, light)
	}
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if code := in.do("GET", "/scrape/google/serp?num=1000", nil, &bad); code != 422 || len(bad.Errors) != 2 {
		t.Errorf("serp without q: status %d, %+v", code, bad)
	}
	var failed struct {
		RequestMetadata struct{ Status string } `json:"requestMetadata"`
		Message         string                  `json:"message"`
	}
	if code := in.do("GET", "/scrape/google/serp?q=blocked", nil, &failed); code != 502 || failed.RequestMetadata.Status != "error" ||
		!strings.Contains(failed.Message, "captcha") {
		t.Errorf("blocked: status %d, %+v", code, failed)
	}
}
