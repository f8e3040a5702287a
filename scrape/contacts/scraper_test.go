package contacts

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

func TestScraper(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Write([]byte(`<a href="/contact">Contact</a>`))
		case "/contact":
			w.Write([]byte(`<a href="mailto:hi@acme-tools.com">hi</a> <a href="tel:+44 20 7946 0958">call</a>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s := New(newFetcher(&http.Client{Transport: tr}))

	info := s.Info()
	if info.Slug != Slug || !info.OneRowPerTask || !cmp.Equal(info.Columns, Columns()) {
		t.Errorf("Info: %+v", info)
	}
	params, err := s.Parse(json.RawMessage(`{"urls":["` + srv.URL + `","` + srv.URL + `/"],"respectRobotsTxt":false,"limit":3}`))
	if err != nil {
		t.Fatal(err)
	}
	job := &trawl.Job{ID: 1, Scraper: Slug, Params: params}
	specs, err := s.Plan(job)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Key != srv.URL+"/" {
		t.Fatalf("Plan: got %+v, want one task for %s/", specs, srv.URL)
	}
	res, err := s.Run(t.Context(), job, &trawl.Task{ID: 1, JobID: 1, Key: specs[0].Key, Payload: specs[0].Payload})
	if err != nil {
		t.Fatal(err)
	}
	if res.Credits != 2 || len(res.Rows) != 1 || len(res.Next) != 0 {
		t.Fatalf("Run: credits %d, %d rows, %d next; want 2, 1, 0", res.Credits, len(res.Rows), len(res.Next))
	}
	var row map[string]any
	if err := json.Unmarshal(res.Rows[0], &row); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"url": srv.URL + "/", "domain": "127.0.0.1",
		"emails": []any{"hi@acme-tools.com"}, "phoneNumbers": []any{"+442079460958"},
		"linkedin": []any{}, "xcom": []any{}, "facebook": []any{}, "instagram": []any{}, "youtube": []any{},
		"tiktok": []any{}, "pinterest": []any{}, "github": []any{}, "dribbble": []any{}, "clutch": []any{},
		"pagesVisited": []any{srv.URL + "/", srv.URL + "/contact"},
	}
	if diff := cmp.Diff(want, row); diff != "" {
		t.Errorf("row (-want +got):\n%s", diff)
	}
}

func newFetcher(c *http.Client) *scrape.Fetcher {
	return scrape.NewFetcher(scrape.FetcherOptions{Client: c, PerHostRate: 1000, RetryBaseDelay: time.Millisecond})
}
