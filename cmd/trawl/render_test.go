package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trawlhq/trawl/browser"
)

const testSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://shop.test/a</loc></url></urlset>`

// scriptSite serves pages whose content, links and email exist only after
// their script runs.
func scriptSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(title, next string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><title>shell</title></head><body><div id="out"></div>
<script>
document.title = %q;
document.getElementById("out").textContent = "made by script";
const a = document.createElement("a"); a.href = %q; a.textContent = "next"; document.body.appendChild(a);
const m = document.createElement("p"); m.textContent = "write to " + ["sales", "harbour-cafe.co.uk"].join("@"); document.body.appendChild(m);
</script></body></html>`, title, next)
		}
	}
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, testSitemap)
	})
	mux.HandleFunc("/", page("Home (rendered)", "/two"))
	mux.HandleFunc("/two", page("Two (rendered)", "/"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestRenderingEndToEnd(t *testing.T) {
	t.Parallel()
	exe, err := browser.FindChromium(os.Getenv)
	if err != nil {
		t.Skipf("no Chromium to test with (install Debian's chromium or set TRAWL_CHROMIUM): %v", err)
	}
	site := scriptSite(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_CHROMIUM": exe, "TRAWL_BROWSER_TABS": "2"}))
	in.client.Timeout = 60 * time.Second

	var me struct {
		Data struct {
			Rendering struct {
				Enabled bool `json:"enabled"`
				Tabs    int  `json:"tabs"`
			} `json:"rendering"`
		} `json:"data"`
	}
	if code := in.do("GET", "/user/me", nil, &me); code != 200 || !me.Data.Rendering.Enabled || me.Data.Rendering.Tabs != 2 {
		t.Fatalf("GET /user/me: status %d, rendering %+v; want rendering on with 2 tabs", code, me.Data.Rendering)
	}

	// /scrape/web renders by default; the DOM goes through the page engine.
	var web struct {
		RequestMetadata struct {
			Status   string `json:"status"`
			Rendered bool   `json:"rendered"`
		} `json:"requestMetadata"`
		Content       string            `json:"content"`
		ExtractedData map[string]any    `json:"extractedData"`
		Emails        []string          `json:"emails"`
		Screenshot    string            `json:"screenshot"`
		Headers       map[string]string `json:"headers"`
	}
	body := fmt.Sprintf(`{"url": %q, "screenshot": true, "waitFor": "#out", "jsScenario": [{"scrollY": 100}],
		"extractRules": {"msg": "#out", "next": "a @href"}}`, site.URL+"/")
	if code := in.do("POST", "/scrape/web", body, &web); code != 200 {
		t.Fatalf("POST /scrape/web: status %d, body %+v", code, web)
	}
	if !web.RequestMetadata.Rendered || !strings.Contains(web.Content, `<div id="out">made by script</div>`) {
		t.Errorf("got rendered %v and content %q, want the rendered DOM", web.RequestMetadata.Rendered, web.Content)
	}
	if web.ExtractedData["msg"] != "made by script" || web.ExtractedData["next"] != site.URL+"/two" {
		t.Errorf("got extractedData %v, want the script's text and link", web.ExtractedData)
	}
	if len(web.Emails) != 1 || web.Emails[0] != "sales@harbour-cafe.co.uk" {
		t.Errorf("got emails %v, want the one the script wrote", web.Emails)
	}
	checkScreenshot(t, web.Screenshot)

	// A sitemap comes back as served although /scrape/web renders by
	// default, as HasData's sitemap scripts read it.
	var sm struct {
		RequestMetadata struct{ Rendered bool } `json:"requestMetadata"`
		Content         string                  `json:"content"`
	}
	if code := in.do("POST", "/scrape/web", fmt.Sprintf(`{"url": %q}`, site.URL+"/sitemap.xml"), &sm); code != 200 || sm.Content != testSitemap || !sm.RequestMetadata.Rendered {
		t.Errorf("POST /scrape/web a sitemap: status %d, rendered %v, content %q; want the XML as served", code, sm.RequestMetadata.Rendered, sm.Content)
	}

	// A crawler job renders its pages too and keeps their screenshots.
	var created jobRecord
	job := fmt.Sprintf(`{"urls": [%q], "jsRendering": true, "screenshot": true, "maxDepth": 1, "limit": 2}`, site.URL+"/")
	if code := in.do("POST", "/scrapers/crawler/jobs", job, &created); code != 200 {
		t.Fatalf("create a crawler job: status %d", code)
	}
	if rec := in.waitTerminal(created.ID, 90*time.Second); rec.Status != "finished" {
		t.Fatalf("job ended %s (%v)", rec.Status, rec.StopReason)
	}
	rows := in.allRows(created.ID)
	titles := map[string]bool{}
	for _, r := range rows {
		title, _ := r["title"].(string)
		titles[title] = true
		link, _ := r["screenshot"].(string)
		checkScreenshot(t, link)
	}
	if len(rows) != 2 || !titles["Home (rendered)"] || !titles["Two (rendered)"] {
		t.Errorf("got rows %v, want both pages with their scripted titles (the second reached by a scripted link)", rows)
	}

	// The metrics count the pages and the tabs.
	resp, err := http.Get(in.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`trawl_browser_pages_rendered_total{outcome="ok"} 4`, "trawl_browser_tabs_busy 0", "trawl_browser_render_duration_seconds_count 4"} {
		if !strings.Contains(string(metricsText), want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}

	// A contacts job finds the email only a script writes.
	job = fmt.Sprintf(`{"urls": [%q], "jsRendering": true, "maxPagesPerSite": 0}`, site.URL+"/")
	if code := in.do("POST", "/scrapers/contacts/jobs", job, &created); code != 200 {
		t.Fatalf("create a contacts job: status %d", code)
	}
	if rec := in.waitTerminal(created.ID, 90*time.Second); rec.Status != "finished" {
		t.Fatalf("job ended %s (%v)", rec.Status, rec.StopReason)
	}
	rows = in.allRows(created.ID)
	if len(rows) != 1 || fmt.Sprint(rows[0]["emails"]) != "[sales@harbour-cafe.co.uk]" {
		t.Errorf("got contacts rows %v, want the scripted email", rows)
	}
}

// checkScreenshot downloads a screenshot link without a key and decodes it.
func checkScreenshot(t *testing.T, link string) {
	t.Helper()
	if link == "" {
		t.Error("no screenshot link")
		return
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Errorf("GET %s: %v", link, err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("GET %s: %d %s, want 200 image/jpeg", link, resp.StatusCode, resp.Header.Get("Content-Type"))
		return
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() != browser.DefaultWindowWidth {
		t.Errorf("the screenshot at %s: %v, %v; want a JPEG as wide as the window", link, err, img)
	}
}

func TestRenderingOff(t *testing.T) {
	t.Parallel()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_NO_BROWSER": "true"}))
	var me struct {
		Data struct {
			Rendering struct {
				Enabled bool   `json:"enabled"`
				Note    string `json:"note"`
			} `json:"rendering"`
		} `json:"data"`
	}
	if code := in.do("GET", "/user/me", nil, &me); code != 200 || me.Data.Rendering.Enabled || !strings.Contains(me.Data.Rendering.Note, "rendering is off") {
		t.Fatalf("GET /user/me: status %d, rendering %+v; want rendering off, with why", code, me.Data.Rendering)
	}
	var fail struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	code := in.do("POST", "/scrape/web", `{"url": "https://example.org/", "jsRendering": true, "waitFor": "#x"}`, &fail)
	if code != 422 || len(fail.Errors) != 1 || fail.Errors[0].Field != "waitFor" || !strings.Contains(fail.Errors[0].Message, "needs a headless browser") {
		t.Fatalf("waitFor without a browser: status %d, errors %+v; want 422 naming waitFor", code, fail.Errors)
	}
	code = in.do("POST", "/scrapers/crawler/jobs", `{"urls": ["https://example.org/"], "jsRendering": true, "screenshot": true}`, &fail)
	if code != 422 || len(fail.Errors) != 1 || fail.Errors[0].Field != "screenshot" {
		t.Fatalf("a crawler job with screenshot and no browser: status %d, errors %+v; want 422 naming screenshot", code, fail.Errors)
	}
}
