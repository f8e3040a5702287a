package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// contactSite is a small business website: a home page that links its
// contact page, a contact page with an address, a phone number and
// profiles, and a robots.txt that keeps trawl out of /intern/.
func contactSite(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/robots.txt":
			w.Header().Set("Content-Type", "text/plain")
			fmt.Fprint(w, "User-agent: *\nDisallow: /intern/\n")
		case "/":
			fmt.Fprint(w, `<!doctype html><html lang="en-GB"><head><title>Acme Widgets</title></head><body>
				<nav><a href="/shop">Shop</a> <a href="/contact">Contact us</a> <a href="/intern/staff">Staff</a></nav>
				<p>Widgets since 1999. <a href="https://twitter.com/intent/tweet?text=widgets">Tweet this</a></p>
				<footer><a href="https://www.linkedin.com/company/acme-widgets/">LinkedIn</a></footer></body></html>`)
		case "/contact":
			fmt.Fprint(w, `<!doctype html><html><body><h1>Contact</h1>
				<p><a href="mailto:Sales%40Acme-Widgets.com?subject=Quote">Email sales</a>,
				support [at] acme-widgets [dot] com, or our designer jo@example.com (not really).</p>
				<p><a href="tel:+44 20 7946 0958">+44 20 7946 0958</a></p>
				<p><img src="/img/map@2x.png" alt=""> <a href="https://www.instagram.com/acmewidgets/">Instagram</a></p>
				</body></html>`)
		case "/intern/staff":
			fmt.Fprint(w, `<p>boss@acme-widgets.com</p>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestContactsEndToEnd(t *testing.T) {
	t.Parallel()
	web := contactSite(t)
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))

	body := fmt.Sprintf(`{"urls": [%q, %q], "maxPagesPerSite": 3, "somethingElse": true}`, web.URL, gone.URL+"/about")
	var created jobRecord
	if code := in.do("POST", "/scrapers/contacts/jobs", body, &created); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	if created.Scraper.Slug != "contacts" || created.Status != "pending" {
		t.Fatalf("created record: %+v", created)
	}
	rec := in.waitTerminal(created.ID, 90*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != 2 {
		t.Fatalf("finished record: %+v, want finished with 2 rows", rec)
	}
	// Two successful fetches: the home page and the contact page. The
	// unknown site's pages are 404s and robots.txt is never counted.
	if rec.CreditsSpent != 2 {
		t.Errorf("creditsSpent: got %d, want 2", rec.CreditsSpent)
	}

	rows := in.allRows(created.ID)
	slices.SortFunc(rows, func(a, b map[string]any) int {
		return strings.Compare(fmt.Sprint(a["url"]), fmt.Sprint(b["url"]))
	})
	none := []any{}
	want := []map[string]any{
		{
			"url": web.URL + "/", "domain": "127.0.0.1",
			"emails":       []any{"sales@acme-widgets.com", "support@acme-widgets.com"},
			"phoneNumbers": []any{"+442079460958"},
			"linkedin":     []any{"https://www.linkedin.com/company/acme-widgets"},
			"instagram":    []any{"https://www.instagram.com/acmewidgets"},
			"xcom":         none, "facebook": none, "youtube": none, "tiktok": none, "pinterest": none, "github": none, "dribbble": none, "clutch": none,
			"pagesVisited": []any{web.URL + "/", web.URL + "/contact"},
		},
		{
			"url": gone.URL + "/about", "domain": "127.0.0.1",
			"emails": none, "phoneNumbers": none, "linkedin": none, "xcom": none, "facebook": none, "instagram": none,
			"youtube": none, "tiktok": none, "pinterest": none, "github": none, "dribbble": none, "clutch": none, "pagesVisited": none,
			"error": "Page not found",
		},
	}
	slices.SortFunc(want, func(a, b map[string]any) int {
		return strings.Compare(fmt.Sprint(a["url"]), fmt.Sprint(b["url"]))
	})
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}

	// GET /scrapers lists the contacts scraper with its columns.
	var list struct {
		Data []struct {
			Slug    string   `json:"slug"`
			Columns []string `json:"columns"`
		} `json:"data"`
	}
	if code := in.do("GET", "/scrapers", nil, &list); code != 200 {
		t.Fatalf("GET /scrapers: status %d", code)
	}
	i := slices.IndexFunc(list.Data, func(s struct {
		Slug    string   `json:"slug"`
		Columns []string `json:"columns"`
	}) bool {
		return s.Slug == "contacts"
	})
	if i < 0 || len(list.Data[i].Columns) != 16 {
		t.Errorf("GET /scrapers: %+v, want the contacts scraper with 16 columns", list.Data)
	}
}

func TestContactsBadInput(t *testing.T) {
	t.Parallel()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	for _, tt := range []struct {
		body  string
		field string
	}{
		{`{}`, "urls"},
		{`{"urls":["ftp://x.example/"]}`, "urls[0]"},
		{`{"urls":["https://x.example/"],"maxPagesPerSite":21}`, "maxPagesPerSite"},
	} {
		var e struct {
			Errors []struct{ Field string } `json:"errors"`
		}
		if code := in.do("POST", "/scrapers/contacts/jobs", tt.body, &e); code != 422 || len(e.Errors) == 0 || e.Errors[0].Field != tt.field {
			t.Errorf("POST %s: status %d, errors %+v; want 422 on %s", tt.body, code, e.Errors, tt.field)
		}
	}
}
