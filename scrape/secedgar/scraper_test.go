package secedgar

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

func TestPlan(t *testing.T) {
	t.Parallel()
	job := func(body string) *trawl.Job {
		p, err := ParseParams([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p)
		return &trawl.Job{ID: 1, Scraper: Slug, Params: b}
	}
	// Without a contact the job fails at once, naming the setting.
	none, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.Plan(job(`{"ciks": ["AAPL"]}`)); !errors.Is(err, ErrNoContact) {
		t.Errorf("Plan without a contact: %v, want ErrNoContact", err)
	}
	s, err := New(Config{Fetcher: scrape.NewFetcher(scrape.FetcherOptions{Client: &http.Client{}})})
	if err != nil {
		t.Fatal(err)
	}
	if s.limiter.Limit() != RequestsPerSecond || s.limiter.Burst() != 1 {
		t.Errorf("limiter %v/%d, want EDGAR's %d/s", s.limiter.Limit(), s.limiter.Burst(), RequestsPerSecond)
	}
	// CIKs need no ticker file; names and tickers share one lookup.
	specs, err := s.Plan(job(`{"ciks": ["0000320193", "789019", "AAPL", "Alphabet Inc."]}`))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, sp := range specs {
		keys = append(keys, sp.Key)
	}
	if len(keys) != 3 || keys[0] != "company:320193" || keys[1] != "company:789019" || keys[2] != "resolve" {
		t.Errorf("tasks %v", keys)
	}
	if _, err := New(Config{BaseURL: "ftp://sec.gov"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}
