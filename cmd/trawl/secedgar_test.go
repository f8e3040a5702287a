package main

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/secedgar/edgartest"
)

// edgarWorld is a fake EDGAR with two companies: Apple (30 recent filings
// and an older shard of 20) and Alphabet (10 recent). Apple's submissions
// are rate limited once (429 with Retry-After) and its shard cut short once.
func edgarWorld(t *testing.T) (*edgartest.Server, []edgartest.Company, *atomic.Int32) {
	t.Helper()
	apple := edgartest.Company{CIK: 320193, Name: "Apple Inc.", Tickers: []string{"AAPL"},
		Recent: edgartest.Filings(320193, 30, "2025-12-20", "10-Q", "8-K", "4", "10-K"),
		Shards: [][]edgartest.Filing{edgartest.Filings(320193, 20, "2024-04-10", "10-Q", "8-K")}}
	// Keep the shard's accession numbers apart from the recent ones.
	for i := range apple.Shards[0] {
		apple.Shards[0][i].Accession = strings.Replace(apple.Shards[0][i].Accession, "-1", "-9", 1)
	}
	alphabet := edgartest.Company{CIK: 1652044, Name: "Alphabet Inc.", Tickers: []string{"GOOGL", "GOOG"},
		Recent: edgartest.Filings(1652044, 10, "2025-11-30", "10-K", "10-Q")}
	companies := []edgartest.Company{apple, alphabet}
	var trouble atomic.Int32
	var limited, cut atomic.Bool
	srv := edgartest.Start(t, companies, func(w http.ResponseWriter, r *http.Request, _ int) bool {
		switch {
		case r.URL.Path == "/submissions/CIK0000320193.json" && limited.CompareAndSwap(false, true):
			trouble.Add(1)
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		case strings.Contains(r.URL.Path, "-submissions-") && cut.CompareAndSwap(false, true):
			trouble.Add(1)
			w.Write([]byte(`{"accessionNumber": ["0000320193-24`))
			return true
		}
		return false
	})
	return srv, companies, &trouble
}

func TestSECEdgarEndToEnd(t *testing.T) {
	t.Parallel()
	srv, companies, trouble := edgarWorld(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_SEC_EDGAR_URL": srv.URL,
		"TRAWL_SEC_EDGAR_DATA_URL": srv.URL, "TRAWL_SEC_EDGAR_CONTACT": "ops@trawl.example"}))

	// Apple twice (ticker and CIK), Alphabet by name, and a company that
	// does not exist; 10-Ks and 10-Qs from mid-2023.
	var created jobRecord
	if code := in.do("POST", "/scrapers/sec-edgar/jobs", `{"ciks": ["AAPL", "320193", "Alphabet Inc.", "NOSUCHCO"],
		"filingTypes": "10-K, 10-q", "startDate": "2023-06-01", "endDate": "2025-12-31"}`, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	want := map[string]bool{}
	for _, c := range companies {
		all := slices.Concat(c.Recent)
		for _, sh := range c.Shards {
			all = append(all, sh...)
		}
		for _, f := range all {
			if (f.Form == "10-K" || f.Form == "10-Q") && f.FilingDate >= "2023-06-01" && f.FilingDate <= "2025-12-31" {
				want[f.Accession] = true
			}
		}
	}
	if rec.Status != "finished" || rec.DataRowsCount != int64(len(want))+1 {
		t.Fatalf("record %+v: want %d filings and the error row", rec, len(want))
	}
	got := map[string]bool{}
	for _, row := range in.allRows(created.ID) {
		if e, ok := row["error"].(string); ok {
			if row["input"] != "NOSUCHCO" || !strings.Contains(e, "NOSUCHCO") {
				t.Errorf("error row %v", row)
			}
			continue
		}
		acc, _ := row["accessionNumber"].(string)
		if got[acc] || !want[acc] {
			t.Errorf("filing %s stored twice or not wanted: %v", acc, row)
		}
		got[acc] = true
		url, _ := row["url"].(string)
		if !strings.HasPrefix(url, srv.URL+"/Archives/edgar/data/"+row["cik"].(string)+"/") || row["companyName"] == "" || row["ticker"] == "" {
			t.Errorf("row %v", row)
		}
	}
	if trouble.Load() != 2 {
		t.Errorf("the 429 and the cut shard were served %d times, want 2", trouble.Load())
	}
	paths, agents := srv.Requests()
	for i, a := range agents {
		if !strings.Contains(a, "ops@trawl.example") {
			t.Errorf("request %s had User-Agent %q", paths[i], a)
		}
	}

	// A limit.
	in.do("POST", "/scrapers/sec-edgar/jobs", `{"ciks": ["320193"], "filingTypes": ["8-K"], "limit": 3}`, &created)
	if rec := in.waitTerminal(created.ID, 60*time.Second); rec.Status != "finished" || rec.DataRowsCount != 3 {
		t.Errorf("limited: %+v", rec)
	}
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	for body, field := range map[string]string{`{}`: "ciks", `{"ciks": ["AAPL"], "startDate": "2025-13-01"}`: "startDate",
		`{"ciks": ["AAPL"], "startDate": "2025-01-02", "endDate": "2025-01-01"}`: "endDate", `{"ciks": ["AAPL"], "filingTypes": 10}`: "filingTypes"} {
		bad.Errors = nil
		if code := in.do("POST", "/scrapers/sec-edgar/jobs", body, &bad); code != 422 || len(bad.Errors) == 0 || bad.Errors[0].Field != field {
			t.Errorf("%s: %d %+v, want 422 on %s", body, code, bad, field)
		}
	}
}

func TestSECEdgarWithoutContact(t *testing.T) {
	t.Parallel()
	srv, _, _ := edgarWorld(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_SEC_EDGAR_URL": srv.URL, "TRAWL_SEC_EDGAR_DATA_URL": srv.URL}))
	var created jobRecord
	in.do("POST", "/scrapers/sec-edgar/jobs", `{"ciks": ["AAPL"]}`, &created)
	rec := in.waitTerminal(created.ID, 30*time.Second)
	if rec.Status != "failed" || rec.StopReason == nil || !strings.Contains(*rec.StopReason, "TRAWL_SEC_EDGAR_CONTACT") {
		t.Errorf("record %+v: want failed, naming TRAWL_SEC_EDGAR_CONTACT", rec)
	}
	if paths, _ := srv.Requests(); len(paths) != 0 {
		t.Errorf("EDGAR was asked %v without a contact", paths)
	}
	// A contact that is not an address stops trawl at start.
	err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string {
		return map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_SEC_EDGAR_CONTACT": "ops"}[k]
	}, &syncBuffer{}, &syncBuffer{})
	if err == nil || !strings.Contains(err.Error(), "TRAWL_SEC_EDGAR_CONTACT") {
		t.Errorf("serve with a bad contact: %v", err)
	}
}
