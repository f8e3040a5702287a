package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// These tests re-create, call for call, the crawler scripts HasData
// publishes in its find-urls-from-any-domain repository (Python and Node):
// their request bodies, their polling, and the fields they read from the
// answers. Only the base URL differs, as trawl promises.

// shopSite is a small shop: a home page linking two product pages, and a
// sitemap.
func shopSite(t *testing.T) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			fmt.Fprint(w, `<!doctype html><html><head><title>Demo shop</title></head><body>
				<nav><a href="/notebooks">Notebooks</a> <a href="/phones">Phones</a></nav>
				<h1>Welcome</h1><p>Write to shop@demo-shop.com.</p></body></html>`)
		case "/notebooks":
			fmt.Fprint(w, `<!doctype html><html><head><title>Notebooks</title></head><body>
				<div class="product"><h2>Apple MacBook Pro</h2><p>13-inch</p><span class="price">$1,800.00</span></div>
				<div class="product"><h2>Asus Laptop</h2><p>Light</p><span class="price">$1,500.00</span></div></body></html>`)
		case "/phones":
			fmt.Fprint(w, `<!doctype html><html><head><title>Phones</title></head><body>
				<div class="product"><h2>Nokia Lumia</h2><p>Windows phone</p><span class="price">$349.00</span></div></body></html>`)
		case "/sitemap.xml":
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>%[1]s/</loc></url><url><loc>%[1]s/notebooks</loc></url><url><loc>%[1]s/phones</loc></url></urlset>`, srv.URL)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// fakeLLM is an OpenAI-compatible chat completions server that reads the
// product names out of the page's Markdown it is sent.
func fakeLLM(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if r.URL.Path != "/v1/chat/completions" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Model != "tiny" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		page := req.Messages[len(req.Messages)-1].Content
		if strings.Contains(req.Messages[0].Content, "companyName") {
			// HasData's email scraper asks for the company behind the page.
			answer, _ := json.Marshal(map[string]any{"companyName": "Demo shop"})
			json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
				"message": map[string]any{"role": "assistant", "content": string(answer)}}}})
			return
		}
		products := []map[string]any{}
		for _, name := range []string{"Apple MacBook Pro", "Asus Laptop", "Nokia Lumia"} {
			if strings.Contains(page, name) {
				products = append(products, map[string]any{"title": name, "description": nil, "price": nil})
			}
		}
		answer, _ := json.Marshal(map[string]any{"products": products})
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{
			"message": map[string]any{"role": "assistant", "content": string(answer)}}}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// pollLikeHasDataScripts polls the job record as the scripts do, until its
// status is one they stop on, and returns the record as they read it.
func pollLikeHasDataScripts(t *testing.T, in *instance, id int64) map[string]any {
	t.Helper()
	var data map[string]any
	waitFor(t, 90*time.Second, "the job to end", func() bool {
		data = nil
		in.do("GET", fmt.Sprintf("/scrapers/jobs/%d", id), nil, &data)
		return slices.Contains([]string{"finished", "failed", "cancelled"}, fmt.Sprint(data["status"]))
	})
	return data
}

// downloadWithoutKey GETs a data link the way the scripts do: no headers.
func downloadWithoutKey(t *testing.T, link string) []map[string]any {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: status %d", link, resp.StatusCode)
	}
	var rows []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		t.Fatalf("the json link is not an array of objects: %v", err)
	}
	return rows
}

func TestHasDataCrawlerScripts(t *testing.T) {
	t.Parallel()
	site := shopSite(t)
	llm := fakeLLM(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(),
		"TRAWL_LLM_URL": llm.URL + "/v1", "TRAWL_LLM_MODEL": "tiny"}))
	wantURLs := []string{site.URL + "/", site.URL + "/notebooks", site.URL + "/phones"}

	t.Run("crawler_hasdata", func(t *testing.T) {
		// Python/crawler_hasdata.py and NodeJS/crawler_hasdata.js send the
		// same body.
		payload := map[string]any{"limit": 20, "urls": []string{site.URL}, "outputFormat": []string{"json"}}
		var created map[string]any
		if code := in.do("POST", "/scrapers/crawler/jobs", payload, &created); code != 200 {
			t.Fatalf("create: status %d, body %v", code, created)
		}
		id, ok := created["id"].(float64)
		if !ok {
			t.Fatalf("the scripts read .id; got %v", created)
		}
		data := pollLikeHasDataScripts(t, in, int64(id))
		// The Node script gives up unless the status is finished.
		if data["status"] != "finished" {
			t.Fatalf("status %v, want finished", data["status"])
		}
		rows := downloadWithoutKey(t, data["data"].(map[string]any)["json"].(string))
		var urls []string
		for _, entry := range rows {
			if u, ok := entry["url"].(string); ok {
				urls = append(urls, u)
			}
		}
		slices.Sort(urls)
		if diff := cmp.Diff(wantURLs, urls); diff != "" {
			t.Errorf("urls (-want +got):\n%s", diff)
		}
	})

	t.Run("crawler_ai_hasdata", func(t *testing.T) {
		payload := map[string]any{
			"limit": 20,
			"urls":  []string{site.URL},
			"aiExtractRules": map[string]any{"products": map[string]any{"type": "list", "output": map[string]any{
				"title":       map[string]any{"description": "title of product", "type": "string"},
				"description": map[string]any{"description": "information about the product", "type": "string"},
				"price":       map[string]any{"description": "price of the product", "type": "string"},
			}}},
			"outputFormat": []string{"text", "json"},
		}
		var created map[string]any
		if code := in.do("POST", "/scrapers/crawler/jobs", payload, &created); code != 200 {
			t.Fatalf("create: status %d, body %v", code, created)
		}
		data := pollLikeHasDataScripts(t, in, int64(created["id"].(float64)))
		if data["status"] != "finished" {
			t.Fatalf("status %v, want finished", data["status"])
		}
		rows := downloadWithoutKey(t, data["data"].(map[string]any)["json"].(string))
		got := map[string][]string{}
		for _, entry := range rows {
			// The scripts json.loads / JSON.parse aiResponse: it must be a
			// string holding JSON.
			raw, ok := entry["aiResponse"].(string)
			if !ok {
				t.Fatalf("%v: aiResponse is %T, want a JSON string", entry["url"], entry["aiResponse"])
			}
			var ai struct {
				Products []struct {
					Title string `json:"title"`
				} `json:"products"`
			}
			if err := json.Unmarshal([]byte(raw), &ai); err != nil {
				t.Fatalf("aiResponse %q: %v", raw, err)
			}
			for _, p := range ai.Products {
				got[entry["url"].(string)] = append(got[entry["url"].(string)], p.Title)
			}
			if _, ok := entry["text"].(string); !ok {
				t.Errorf("%v: no text although outputFormat asked for it", entry["url"])
			}
		}
		want := map[string][]string{site.URL + "/notebooks": {"Apple MacBook Pro", "Asus Laptop"}, site.URL + "/phones": {"Nokia Lumia"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("products (-want +got):\n%s", diff)
		}
	})

	t.Run("sitemap_scraper_hasdata", func(t *testing.T) {
		// The body is sent as a json.dumps string, with no outputFormat.
		payload := fmt.Sprintf(`{"url": %q, "proxyType": "datacenter", "proxyCountry": "US"}`, site.URL+"/sitemap.xml")
		var resp map[string]any
		if code := in.do("POST", "/scrape/web", payload, &resp); code != 200 {
			t.Fatalf("status %d, body %v", code, resp)
		}
		content, _ := resp["content"].(string)
		var set struct {
			Locs []string `xml:"url>loc"`
		}
		if err := xml.NewDecoder(strings.NewReader(content)).Decode(&set); err != nil {
			t.Fatalf("content is not the sitemap's XML: %v\n%s", err, content)
		}
		if diff := cmp.Diff(wantURLs, set.Locs); diff != "" {
			t.Errorf("sitemap links (-want +got):\n%s", diff)
		}
	})

	t.Run("email_scraper", func(t *testing.T) {
		// HasData/email-scraper's api_ai_email_scraper: no outputFormat,
		// rendering asked for, emails read as a list, aiResponse as an object.
		payload := `{"url": "` + site.URL + `/", "proxyType": "datacenter", "proxyCountry": "US", "jsRendering": true,
			"extractEmails": true, "aiExtractRules": {"companyName": {"type": "string", "description": "the company's name"}}}`
		var resp struct {
			RequestMetadata struct{ Status, RenderNote string }
			Emails          []string       `json:"emails"`
			AIResponse      map[string]any `json:"aiResponse"`
		}
		if code := in.do("POST", "/scrape/web", payload, &resp); code != 200 || resp.RequestMetadata.Status != "ok" {
			t.Fatalf("status %d, %+v", code, resp)
		}
		if !cmp.Equal(resp.Emails, []string{"shop@demo-shop.com"}) {
			t.Errorf("emails: %v", resp.Emails)
		}
		if resp.AIResponse["companyName"] != "Demo shop" {
			t.Errorf("aiResponse: %v", resp.AIResponse)
		}
		if resp.RequestMetadata.RenderNote == "" {
			t.Error("jsRendering without a browser is not reported")
		}
	})

	t.Run("account", func(t *testing.T) {
		// n8n's credential test needs a 2xx from /user/me.
		var me map[string]any
		if code := in.do("GET", "/user/me", nil, &me); code != 200 || me["status"] != "ok" {
			t.Fatalf("/user/me: status %d, %v", code, me)
		}
		var usage struct {
			Status string `json:"status"`
			Data   struct {
				TotalCredits, AvailableCredits, UsedCredits float64
				ConcurrentRequests, AvailableConcurrency    float64
			} `json:"data"`
		}
		if code := in.do("GET", "/user/me/usage", nil, &usage); code != 200 || usage.Status != "ok" {
			t.Fatalf("/user/me/usage: status %d, %+v", code, usage)
		}
		if usage.Data.AvailableConcurrency < 1 || usage.Data.UsedCredits < 1 {
			t.Errorf("usage: %+v", usage.Data)
		}
	})
}

// TestScrapeWebGetLikeN8N calls GET /scrape/web with query parameters, as
// HasData's n8n node does, and checks the raw single-format answer.
func TestScrapeWebGetLikeN8N(t *testing.T) {
	t.Parallel()
	site := shopSite(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	req, _ := http.NewRequest("GET", in.base+"/scrape/web?url="+site.URL+"/notebooks&outputFormat[]=markdown&jsRendering=false", nil)
	req.Header.Set("x-api-key", in.key)
	resp, err := in.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(string(body), "## Apple MacBook Pro") {
		t.Fatalf("status %d, %s:\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// Without a model, aiExtractRules is a 422 naming the setting.
	var e struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	code := in.do("POST", "/scrape/web", `{"url": "`+site.URL+`", "aiExtractRules": {"a": {"type": "string"}}}`, &e)
	if code != 422 || len(e.Errors) != 1 || e.Errors[0].Field != "aiExtractRules" || !strings.Contains(e.Errors[0].Message, "TRAWL_LLM_URL") {
		t.Errorf("status %d, %+v", code, e)
	}
}

// TestQuotaEndToEnd sets an account's credit quota with `trawl quota` while
// trawl serves: past it, /scrape/web and new jobs are 403 and the usage
// endpoint says so.
func TestQuotaEndToEnd(t *testing.T) {
	t.Parallel()
	site := shopSite(t)
	dir := t.TempDir()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": dir}))
	var out syncBuffer
	if err := run(t.Context(), []string{"quota", "1", "1", "--data-dir", dir}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("trawl quota: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "account 1: quota 1, used 0") {
		t.Errorf("trawl quota printed %q", out.String())
	}
	body := `{"url": "` + site.URL + `/", "outputFormat": ["json"]}`
	if code := in.do("POST", "/scrape/web", body, nil); code != 200 {
		t.Fatalf("first call: %d", code)
	}
	var refused map[string]any
	if code := in.do("POST", "/scrape/web", body, &refused); code != 403 || refused["code"] != "credits_exhausted" {
		t.Errorf("past the quota: %d %v", code, refused)
	}
	if code := in.do("POST", "/scrapers/crawler/jobs", `{"urls": ["`+site.URL+`"]}`, nil); code != 403 {
		t.Errorf("a job past the quota: %d, want 403", code)
	}
	var usage struct {
		Data struct{ TotalCredits, AvailableCredits, UsedCredits int64 }
	}
	in.do("GET", "/user/me/usage", nil, &usage)
	if usage.Data.TotalCredits != 1 || usage.Data.AvailableCredits != 0 || usage.Data.UsedCredits != 1 {
		t.Errorf("usage: %+v", usage.Data)
	}
}

// TestEveryURLFails: a job whose every page fails ends finished, with one
// row per URL saying why, as the README promises.
func TestEveryURLFails(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(gone.Close)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	var created jobRecord
	body := `{"urls": ["` + gone.URL + `/a", "` + gone.URL + `/b"], "outputFormat": ["json"]}`
	if code := in.do("POST", "/scrapers/crawler/jobs", body, &created); code != 200 {
		t.Fatalf("create: %d", code)
	}
	rec := in.waitTerminal(created.ID, 60*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != 2 || rec.CreditsSpent != 0 {
		t.Fatalf("record: %+v, want finished with 2 rows and no credits", rec)
	}
	for _, r := range in.allRows(created.ID) {
		if r["error"] != "Page not found" {
			t.Errorf("row %v: error %v", r["url"], r["error"])
		}
	}
}
