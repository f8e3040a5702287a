package crawler

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// TestRunPageOptions runs one crawl task with page options and checks the
// row: the formats asked for, json's headers, the extraction keys, and the
// links followed whatever the tag filters removed.
func TestRunPageOptions(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("X-Shop", "1")
		fmt.Fprint(w, `<title>Shop</title><nav><a href="/b">B</a></nav><h1>Mugs</h1><p>Mail sales@acme-widgets.com</p>
			<a class="p" href="/mug-1">Blue</a><a class="p" href="/mug-2">Red</a>`)
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	f := scrape.NewFetcher(scrape.FetcherOptions{Client: &http.Client{Transport: tr}, PerHostRate: 1000, RetryBaseDelay: time.Millisecond})
	c := New(page.NewEngine(page.EngineConfig{Fetcher: f}), f)

	params, err := c.Parse(json.RawMessage(`{"urls": ["` + srv.URL + `/"], "outputFormat": ["text", "json"], "respectRobotsTxt": false,
		"excludeTags": ["nav"], "extractRules": {"heading": "h1", "products": "a.p @href"}, "extractEmails": true, "extractLinks": true}`))
	if err != nil {
		t.Fatal(err)
	}
	job := &trawl.Job{ID: 1, Scraper: Slug, Params: params}
	specs, err := c.Plan(job)
	if err != nil || len(specs) != 1 {
		t.Fatalf("plan: %v %v", specs, err)
	}
	res, err := c.Run(t.Context(), job, &trawl.Task{Payload: specs[0].Payload})
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]any
	if err := json.Unmarshal(res.Rows[0], &row); err != nil {
		t.Fatal(err)
	}
	headers := row["headers"].(map[string]any)
	if headers["x-shop"] != "1" || headers["content-type"] != "text/html; charset=utf-8" {
		t.Errorf("headers: %v", headers)
	}
	delete(row, "headers")
	want := map[string]any{
		"url": srv.URL + "/", "statusCode": 200.0, "statusText": "OK", "title": "Shop", "depth": 0.0,
		"text":          "Mugs\n\nMail sales@acme-widgets.com\n\nBlueRed",
		"extractedData": map[string]any{"heading": "Mugs", "products": []any{srv.URL + "/mug-1", srv.URL + "/mug-2"}},
		"emails":        []any{"sales@acme-widgets.com"},
		"links":         []any{srv.URL + "/b", srv.URL + "/mug-1", srv.URL + "/mug-2"},
	}
	if diff := cmp.Diff(want, row); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
	if len(res.Next) != 3 || res.Credits != 1 {
		t.Errorf("next %d tasks, %d credits; want 3 and 1", len(res.Next), res.Credits)
	}

	// aiExtractRules without a model is refused when the job is created.
	_, err = c.Parse(json.RawMessage(`{"urls": ["` + srv.URL + `/"], "aiExtractRules": {"a": {"type": "string"}}}`))
	if e, ok := err.(*trawl.Error); !ok || e.Fields[0].Field != "aiExtractRules" {
		t.Errorf("got %v, want a 422 on aiExtractRules", err)
	}
}
