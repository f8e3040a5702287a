package main

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/yellowpages/yptest"
)

func TestYellowPagesEndToEnd(t *testing.T) {
	t.Parallel()
	// 65 plumbers over three pages, the first of page 2 repeating the last
	// of page 1; 4 electricians. The first request for page 2 is rate
	// limited, the first for page 3 is a block page.
	var plumbers []yptest.Listing
	for i := range 65 {
		plumbers = append(plumbers, yptest.Listing{Name: fmt.Sprintf("Plumber %02d", i), Slug: fmt.Sprintf("plumber-%02d", i),
			Phone: "(512) 555-0100", Street: "1 Congress Ave", Locality: "Austin, TX 78701", Categories: []string{"Plumbers"},
			Stars: "four", Reviews: i})
	}
	plumbers[30] = plumbers[29]
	electricians := plumbers[:4:4]
	var limited, blocked atomic.Bool
	srv := yptest.Start(t, map[string][]yptest.Listing{"plumbers|Austin, TX": plumbers, "electricians|Austin, TX": electricians},
		func(w http.ResponseWriter, r *http.Request, _ int) bool {
			switch page := r.URL.Query().Get("page"); {
			case page == "2" && limited.CompareAndSwap(false, true):
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			case page == "3" && blocked.CompareAndSwap(false, true):
				w.Write([]byte("<html><body><h1>Access denied</h1></body></html>"))
				return true
			}
			return false
		})
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_YELLOW_PAGES_URL": srv.URL}))

	var created jobRecord
	if code := in.do("POST", "/scrapers/yellow-pages/jobs", `{"keywords": ["plumbers", "electricians"], "locations": ["Austin, TX"],
		"maxPages": 5}`, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != 64+4 {
		t.Fatalf("record %+v: want 64 plumbers and 4 electricians", rec)
	}
	seen := map[string]bool{}
	positions := map[string]int{}
	for _, row := range in.allRows(created.ID) {
		k := fmt.Sprint(row["keyword"], row["url"])
		if seen[k] {
			t.Errorf("%s stored twice", k)
		}
		seen[k] = true
		positions[row["keyword"].(string)]++
		if row["location"] != "Austin, TX" || row["city"] != "Austin" || row["region"] != "TX" || row["rating"] != 4.0 {
			t.Errorf("row %v", row)
		}
	}
	if positions["plumbers"] != 64 || positions["electricians"] != 4 {
		t.Errorf("rows per keyword %v", positions)
	}
	if !limited.Load() || !blocked.Load() {
		t.Error("the 429 or the block page was not served")
	}

	in.do("POST", "/scrapers/yellow-pages/jobs", `{"keywords": ["plumbers"], "locations": ["Austin, TX"], "limit": 40}`, &created)
	if rec := in.waitTerminal(created.ID, 60*time.Second); rec.Status != "finished" || rec.DataRowsCount != 40 {
		t.Errorf("limited: %+v", rec)
	}

	var page struct {
		RequestMetadata   struct{ Status string } `json:"requestMetadata"`
		SearchInformation struct{ TotalResults int }
		OrganicResults    []map[string]any
		Pagination        struct {
			CurrentPage int    `json:"currentPage"`
			NextPageURL string `json:"nextPageUrl"`
		}
	}
	if code := in.do("GET", "/scrape/yellowpages/search?keyword=plumbers&location=Austin,+TX&page=2", nil, &page); code != 200 ||
		len(page.OrganicResults) != 30 || page.SearchInformation.TotalResults != 65 || page.Pagination.CurrentPage != 2 ||
		page.Pagination.NextPageURL == "" || page.OrganicResults[0]["position"] != 31.0 {
		t.Errorf("search: %d %+v", code, page)
	}
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	if code := in.do("GET", "/scrape/yellowpages/search?sort=best", nil, &bad); code != 422 || len(bad.Errors) != 3 {
		t.Errorf("bad search: %d %+v", code, bad)
	}
	bad.Errors = nil
	if code := in.do("POST", "/scrapers/yellow-pages/jobs", `{"keywords": ["plumbers"]}`, &bad); code != 422 || len(bad.Errors) != 1 ||
		bad.Errors[0].Field != "locations" {
		t.Errorf("bad job: %d %+v", code, bad)
	}
}
