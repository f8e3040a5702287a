package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/page"
)

// webPage is the test site's page: every feature the options act on.
const webPage = `<!doctype html><html><head><title>Test page</title><style>p{}</style></head><body>
<nav><a href="/a">A</a> <a href="/b#x">B</a></nav>
<main><h1>Hello</h1><p class="lead">First <b>para</b>.</p><p>Second para, mail info@acme-widgets.com.</p>
<img src="data:image/png;base64,AAAA" alt="pixel"><img src="/logo.png" alt="logo">
<a class="buy" href="/cart?id=1">Buy</a><a class="buy" href="https://other.example/x">Elsewhere</a></main>
<footer>Footer text</footer></body></html>`

// webSite serves the test page, a sitemap, an echo of chosen request
// headers and a 404.
func webSite(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", "Mon, 30 Nov 2026 12:00:00 GMT")
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, webPage)
		case "/sitemap.xml":
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprint(w, `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://shop.example/</loc></url></urlset>`)
		case "/echo":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<p>cookie=%s x-test=%s connection-kept=%t</p>", r.Header.Get("Cookie"), r.Header.Get("X-Test"),
				r.Header.Get("Keep-Alive") != "")
		default:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, "<h1>Not here</h1>")
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newTestEngine is a page engine over the egress-guarded client (private
// networks allowed, for 127.0.0.1) and the polite fetcher.
func newTestEngine(t *testing.T, llm *page.LLM) *page.Engine {
	t.Helper()
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true, FollowRedirects: true})
	t.Cleanup(client.CloseIdleConnections)
	f := scrape.NewFetcher(scrape.FetcherOptions{Client: client, PerHostRate: 1000, MaxRetries: -1})
	return page.NewEngine(page.EngineConfig{Fetcher: f, LLM: llm})
}

// fakeUsage counts calls in memory.
type fakeUsage struct {
	mu      sync.Mutex
	credits map[int64]int64
	quota   map[int64]int64
}

func (u *fakeUsage) AddSyncUsage(_ context.Context, id, credits int64) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.credits[id] += credits
	return nil
}

func (u *fakeUsage) Usage(_ context.Context, id int64) (*trawl.Usage, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := &trawl.Usage{AccountID: id, SyncCredits: u.credits[id]}
	if q, ok := u.quota[id]; ok {
		out.Quota = &q
	}
	return out, nil
}

func (u *fakeUsage) QuotaExhausted(ctx context.Context, id int64) (bool, error) {
	out, err := u.Usage(ctx, id)
	return err == nil && out.Exhausted(), err
}

var (
	uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`)
	portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// webGolden is what a golden file holds of one answer.
type webGolden struct {
	Status      int             `json:"status"`
	ContentType string          `json:"contentType"`
	JSON        json.RawMessage `json:"json,omitempty"`
	Raw         string          `json:"raw,omitempty"`
}

// toQuery writes a POST body as GET query parameters the way HasData's
// clients do: arrays as name[]=, objects as JSON strings, the rest as text.
func toQuery(t *testing.T, body string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	q := url.Values{}
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			for _, it := range x {
				if s, ok := it.(string); ok {
					q.Add(k+"[]", s)
				} else {
					b, _ := json.Marshal(it)
					q.Add(k+"[]", string(b))
				}
			}
			if k == "jsScenario" { // an array of objects travels as one JSON string
				q.Del(k + "[]")
				b, _ := json.Marshal(x)
				q.Set(k, string(b))
			}
		case map[string]any:
			b, _ := json.Marshal(x)
			q.Set(k, string(b))
		default:
			q.Set(k, fmt.Sprint(x))
		}
	}
	return q.Encode()
}

func TestScrapeWebGolden(t *testing.T) {
	t.Parallel()
	site := webSite(t)
	usage := &fakeUsage{credits: map[int64]int64{}}
	b := setup(t, func(c *Config) { c.Web = newTestEngine(t, nil); c.Usage = usage })
	pageURL := site.URL + "/page"
	formats := [][]string{
		nil, {"html"}, {"text"}, {"markdown"}, {"json"},
		{"html", "text"}, {"html", "markdown"}, {"text", "markdown"}, {"html", "text", "markdown"},
		{"html", "json"}, {"text", "json"}, {"markdown", "json"}, {"html", "text", "markdown", "json"},
	}
	type tc struct{ name, body string }
	var tests []tc
	for _, f := range formats {
		name := "format-" + strings.Join(f, "-")
		if f == nil {
			name = "format-none"
		}
		body := map[string]any{"url": pageURL, "jsRendering": false, "extractEmails": false}
		if f != nil {
			body["outputFormat"] = f
		}
		j, _ := json.Marshal(body)
		tests = append(tests, tc{name, string(j)})
	}
	opt := func(extra string) string {
		return `{"url": "` + pageURL + `", "outputFormat": ["text", "json"], "jsRendering": false, "extractEmails": false` + extra + `}`
	}
	tests = append(tests,
		tc{"defaults", `{"url": "` + pageURL + `"}`},
		tc{"extractRules", opt(`, "extractRules": {"title": "h1", "paras": "main p", "buy": "a.buy @href", "img": "img[alt=logo] @src", "none": ".nothing"}`)},
		tc{"excludeTags", opt(`, "excludeTags": ["nav", "footer", "p.lead"]`)},
		tc{"includeOnlyTags", opt(`, "includeOnlyTags": ["h1", "p.lead"]`)},
		tc{"removeBase64Images", `{"url": "` + pageURL + `", "outputFormat": ["html", "json"], "jsRendering": false, "extractEmails": false, "removeBase64Images": true, "includeOnlyTags": ["img"]}`},
		tc{"extractEmails", opt(`, "extractEmails": true`)},
		tc{"extractLinks", opt(`, "extractLinks": true`)},
		tc{"headers", `{"url": "` + site.URL + `/echo", "outputFormat": ["text"], "jsRendering": false, "headers": {"Cookie": "session=1", "X-Test": "yes", "Keep-Alive": "300", "Host": "evil.example"}}`},
		tc{"jsRendering-without-browser", opt(`, "jsRendering": true`)},
		tc{"rendering-options", opt(`, "wait": 500, "waitFor": "#app", "jsScenario": [{"click": "#more"}, {"wait": 100}, {"fill": ["#q", "shoes"]}, {"scrollY": 400}, {"evaluate": "1+1"}], "screenshot": true, "blockResources": false, "blockAds": false, "blockUrls": ["**.doubleclick.net/**"], "proxyType": "datacenter", "proxyCountry": "US"`)},
		tc{"target-404", `{"url": "` + site.URL + `/missing", "jsRendering": false}`},
		tc{"sitemap-default", `{"url": "` + site.URL + `/sitemap.xml", "proxyType": "datacenter", "proxyCountry": "US"}`},
		tc{"sitemap-html", `{"url": "` + site.URL + `/sitemap.xml", "outputFormat": ["html"]}`},
		tc{"bad-selector", opt(`, "excludeTags": ["nav", "div[["], "extractRules": {"x": ""}`)},
		tc{"bad-format", `{"url": "` + pageURL + `", "outputFormat": ["pdf"]}`},
		tc{"no-url", `{"outputFormat": ["text"]}`},
		tc{"ai-without-model", `{"url": "` + pageURL + `", "aiExtractRules": {"title": {"type": "string"}}}`},
		tc{"bad-rendering-options", `{"url": "` + pageURL + `", "wait": 90000, "jsScenario": [{"hover": "a"}], "proxyCountry": "XX", "jsRendering": "maybe"}`},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join("testdata", "scrapeweb", tt.name+".json")
			post := webAnswer(t, b.do(t, http.MethodPost, "/scrape/web", tt.body), site.URL)
			get := webAnswer(t, b.do(t, http.MethodGet, "/scrape/web?"+toQuery(t, tt.body), ""), site.URL)
			if diff := cmp.Diff(post, get); diff != "" {
				t.Errorf("GET and POST differ (-post +get):\n%s", diff)
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(post); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// webAnswer reads a recorded answer, with the request id, the test site's
// address and the per-request headers replaced by placeholders.
func webAnswer(t *testing.T, w *httptest.ResponseRecorder, siteURL string) webGolden {
	t.Helper()
	body := strings.ReplaceAll(w.Body.String(), siteURL, "http://site.test")
	body = portRE.ReplaceAllString(body, "site.test")
	body = uuidRE.ReplaceAllString(body, "<uuid>")
	g := webGolden{Status: w.Code, ContentType: w.Header().Get("Content-Type")}
	if !strings.HasPrefix(g.ContentType, "application/json") {
		g.Raw = body
		return g
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if h, ok := v["headers"].(map[string]any); ok {
		delete(h, "content-length")
	}
	if errs, ok := v["errors"].([]any); ok {
		sort.Slice(errs, func(i, j int) bool { return fmt.Sprint(errs[i]) < fmt.Sprint(errs[j]) })
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	g.JSON = json.RawMessage(bytes.TrimSpace(buf.Bytes()))
	return g
}

func TestScrapeWebUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	b := setup(t, func(c *Config) { c.Web = newTestEngine(t, nil) })
	w := b.do(t, http.MethodPost, "/scrape/web", `{"url": "http://`+addr+`/"}`)
	var got struct {
		Message, Code   string
		RequestMetadata struct{ ID, Status string }
	}
	if w.Code != http.StatusBadGateway || json.Unmarshal(w.Body.Bytes(), &got) != nil ||
		got.RequestMetadata.Status != "error" || got.Code != "target_unreachable" || got.RequestMetadata.ID == "" {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

// blockingWeb is a WebScraper whose calls wait until released.
type blockingWeb struct {
	started chan struct{}
	release chan struct{}
}

func (b *blockingWeb) Check(*trawl.Invalid, *page.Options) {}

func (b *blockingWeb) Limits(bool) []any { return nil }

func (b *blockingWeb) Scrape(ctx context.Context, _ page.Request) (*page.Result, error) {
	b.started <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	html := "<p>ok</p>"
	return &page.Result{StatusCode: 200, StatusText: "OK", Header: http.Header{}, HTML: &html, Credits: 1, Proxy: "direct"}, nil
}

func TestScrapeWebConcurrencyAndQuota(t *testing.T) {
	t.Parallel()
	web := &blockingWeb{started: make(chan struct{}, 4), release: make(chan struct{})}
	usage := &fakeUsage{credits: map[int64]int64{}, quota: map[int64]int64{2: 1}}
	b := setup(t, func(c *Config) { c.Web = web; c.WebConcurrency = 2; c.Usage = usage })
	body := `{"url": "https://shop.example/"}`
	var wg sync.WaitGroup
	codes := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- b.do(t, http.MethodPost, "/scrape/web", body).Code
		}()
	}
	<-web.started
	<-web.started
	// Both slots of account 1 are taken: a third call is refused at once.
	w := b.do(t, http.MethodPost, "/scrape/web", body)
	if w.Code != http.StatusTooManyRequests || !strings.Contains(w.Body.String(), `"code":"concurrency_limit"`) {
		t.Fatalf("third call: %d %s", w.Code, w.Body)
	}
	var u usageBody
	wantOK(t, b.do(t, http.MethodGet, "/user/me/usage", ""), &u)
	if u.Data.ConcurrentRequests != 2 || u.Data.AvailableConcurrency != 0 || !u.Data.Unlimited {
		t.Errorf("usage while busy: %+v", u.Data)
	}
	close(web.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusOK {
			t.Errorf("a call in a free slot: %d", c)
		}
	}
	wantOK(t, b.do(t, http.MethodGet, "/user/me/usage", ""), &u)
	if u.Data.UsedCredits != 2 || u.Data.ConcurrentRequests != 0 || u.Data.AvailableConcurrency != 2 {
		t.Errorf("usage after: %+v", u.Data)
	}

	// Account 2 has a quota of one credit: its first call passes, the next
	// one and a new job are 403.
	done := make(chan int, 1)
	web.release = make(chan struct{})
	close(web.release)
	go func() { done <- b.do(t, http.MethodPost, "/scrape/web", body, "x-api-key", key2).Code }()
	<-web.started
	if c := <-done; c != http.StatusOK {
		t.Fatalf("account 2's first call: %d", c)
	}
	wantError(t, b.do(t, http.MethodPost, "/scrapers/crawler/jobs", `{"urls":["https://shop.example/"]}`, "x-api-key", key2), http.StatusForbidden)
	w = b.do(t, http.MethodPost, "/scrape/web", body, "x-api-key", key2)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "credits_exhausted") {
		t.Errorf("past the quota: %d %s", w.Code, w.Body)
	}
	var me struct {
		Status string
		Data   struct {
			ID                             int64
			Name                           string
			TotalCredits, AvailableCredits int64
		}
	}
	wantOK(t, b.do(t, http.MethodGet, "/user/me", "", "x-api-key", key2), &me)
	if me.Status != "ok" || me.Data.ID != 2 || me.Data.TotalCredits != 1 || me.Data.AvailableCredits != 0 {
		t.Errorf("/user/me: %+v", me)
	}
}

// TestCatalogueMatchesOpenAPI checks that GET /apis/web_scraping describes
// /scrape/web exactly as the OpenAPI document does.
func TestCatalogueMatchesOpenAPI(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Web = newTestEngine(t, nil) })
	var list []catalogueCategory
	wantOK(t, b.do(t, http.MethodGet, "/apis", "", "x-api-key", ""), &list)
	if len(list) != 1 || len(list[0].APIs) != 1 || list[0].APIs[0].Slug != "web_scraping" { // no other endpoints in this server
		t.Fatalf("/apis: %+v", list)
	}
	var api struct {
		Slug   string
		Schema struct {
			Method, URL string
			Required    []string
			Properties  map[string]any
		}
	}
	wantOK(t, b.do(t, http.MethodGet, "/apis/web_scraping", "", "x-api-key", ""), &api)
	if api.Schema.URL != "http://trawl.test/scrape/web" || api.Schema.Method != "POST" {
		t.Errorf("schema: %+v", api.Schema)
	}
	wantError(t, b.do(t, http.MethodGet, "/apis/google_serp", "", "x-api-key", ""), http.StatusNotFound)

	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Required   []string       `json:"required"`
						Properties map[string]any `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
			Parameters []struct{ Name string } `json:"parameters"`
		} `json:"paths"`
	}
	wantOK(t, b.do(t, http.MethodGet, "/openapi.json", ""), &doc)
	post := doc.Paths["/scrape/web"]["post"].RequestBody.Content["application/json"].Schema
	if diff := cmp.Diff(post.Properties, api.Schema.Properties); diff != "" {
		t.Errorf("catalogue and OpenAPI disagree (-openapi +catalogue):\n%s", diff)
	}
	if !cmp.Equal(post.Required, api.Schema.Required) {
		t.Errorf("required: openapi %v, catalogue %v", post.Required, api.Schema.Required)
	}
	var params []string
	for _, p := range doc.Paths["/scrape/web"]["get"].Parameters {
		params = append(params, p.Name)
	}
	sort.Strings(params)
	var props []string
	for k := range api.Schema.Properties {
		props = append(props, k)
	}
	sort.Strings(props)
	if !cmp.Equal(params, props) {
		t.Errorf("GET parameters %v, catalogue properties %v", params, props)
	}
}

// TestScrapeWebAI answers aiExtractRules with a fake OpenAI-compatible
// server: a valid answer is aiResponse; one that is not JSON leaves every
// field null and says why in aiError.
func TestScrapeWebAI(t *testing.T) {
	t.Parallel()
	site := webSite(t)
	answers := map[string]string{"/good/v1/chat/completions": `{"heading": "Hello", "emails": ["info@acme-widgets.com"]}`,
		"/bad/v1/chat/completions": `I think the heading is Hello.`}
	llmSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if json.NewDecoder(r.Body).Decode(&req) != nil || !strings.Contains(req.Messages[len(req.Messages)-1].Content, "# Hello") {
			http.Error(w, "the page's Markdown is missing", http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]any{"content": answers[r.URL.Path]}}}})
	}))
	t.Cleanup(llmSrv.Close)
	client := egress.NewClient(egress.Options{AllowHosts: []string{"127.0.0.1"}})
	t.Cleanup(client.CloseIdleConnections)
	rules := `{"heading": {"type": "string"}, "emails": {"type": "list", "output": "string"}}`
	for _, tt := range []struct {
		path string
		want string
	}{
		{"/good/v1", `{"emails":["info@acme-widgets.com"],"heading":"Hello"}`},
		{"/bad/v1", `{"emails":null,"heading":null}`},
	} {
		llm, err := page.NewLLM(page.LLMConfig{URL: llmSrv.URL + tt.path, Model: "m", Client: client})
		if err != nil {
			t.Fatal(err)
		}
		b := setup(t, func(c *Config) { c.Web = newTestEngine(t, llm) })
		body := `{"url": "` + site.URL + `/page", "jsRendering": false, "outputFormat": ["json"], "aiExtractRules": ` + rules + `}`
		for _, w := range []*httptest.ResponseRecorder{
			b.do(t, http.MethodPost, "/scrape/web", body),
			b.do(t, http.MethodGet, "/scrape/web?"+toQuery(t, body), ""),
		} {
			var got struct {
				AIResponse json.RawMessage `json:"aiResponse"`
				AIError    string          `json:"aiError"`
			}
			wantOK(t, w, &got)
			if string(got.AIResponse) != tt.want {
				t.Errorf("%s: aiResponse %s, want %s", tt.path, got.AIResponse, tt.want)
			}
			if (tt.path == "/bad/v1") != strings.Contains(got.AIError, "not JSON") {
				t.Errorf("%s: aiError %q", tt.path, got.AIError)
			}
		}
	}
}

// TestScrapeWebProxyLabels refuses, naming the field, a proxyType or
// proxyCountry that no labelled proxy pool serves.
func TestScrapeWebProxyLabels(t *testing.T) {
	t.Parallel()
	pool, err := scrape.NewProxyPool([]string{"http://127.0.0.1:9#type=datacenter&country=US", "http://127.0.0.1:9#type=datacenter&country=DE"}, scrape.ProxyPoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true})
	t.Cleanup(client.CloseIdleConnections)
	engine := page.NewEngine(page.EngineConfig{Fetcher: scrape.NewFetcher(scrape.FetcherOptions{Client: client}), Proxies: pool})
	b := setup(t, func(c *Config) { c.Web = engine })
	for body, field := range map[string]string{
		`{"url": "https://shop.example/", "proxyType": "datacenter", "proxyCountry": "JP"}`:  "proxyCountry",
		`{"url": "https://shop.example/", "proxyType": "residential", "proxyCountry": "US"}`: "proxyType",
	} {
		e := wantError(t, b.do(t, http.MethodPost, "/scrape/web", body), http.StatusUnprocessableEntity)
		if len(e.Errors) != 1 || e.Errors[0].Field != field || !strings.Contains(e.Errors[0].Message, "datacenter/US, datacenter/DE") {
			t.Errorf("%s: %+v", body, e)
		}
	}
}

// fakeRenderer stands in for the browser package: it "renders" a fixed
// page with a screenshot.
type fakeRenderer struct{ got page.RenderOptions }

func (r *fakeRenderer) Render(_ context.Context, u string, o page.RenderOptions) (*page.Rendered, error) {
	r.got = o
	return &page.Rendered{URL: u, StatusCode: 200, Status: "OK", Header: http.Header{"Content-Type": {"text/html"}},
		HTML: []byte(`<html><body><div id="app">Rendered by script</div></body></html>`), Screenshot: []byte{0xff, 0xd8, 0xff}}, nil
}

// TestScrapeWebRenderer plugs a Renderer in: jsRendering pages come from it,
// with the rendering options, and the screenshot comes back inline.
func TestScrapeWebRenderer(t *testing.T) {
	t.Parallel()
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true})
	t.Cleanup(client.CloseIdleConnections)
	r := &fakeRenderer{}
	engine := page.NewEngine(page.EngineConfig{Fetcher: scrape.NewFetcher(scrape.FetcherOptions{Client: client}), Renderer: r})
	b := setup(t, func(c *Config) { c.Web = engine })
	var got struct {
		RequestMetadata struct {
			Rendered   bool
			RenderNote string
		}
		Text       string
		Screenshot string
	}
	wantOK(t, b.do(t, http.MethodPost, "/scrape/web", `{"url": "https://app.example/", "outputFormat": ["text", "json"], "screenshot": true,
		"wait": 250, "waitFor": "#app", "jsScenario": [{"click": "#more"}], "headers": {"Cookie": "a=1"}, "blockUrls": ["**.ads/**"]}`), &got)
	if !got.RequestMetadata.Rendered || got.RequestMetadata.RenderNote != "" || got.Text != "Rendered by script" ||
		got.Screenshot != "data:image/jpeg;base64,/9j/" {
		t.Errorf("answer: %+v", got)
	}
	want := page.RenderOptions{Header: http.Header{"Cookie": {"a=1"}}, Wait: 250 * time.Millisecond, WaitFor: "#app",
		Scenario: []page.Action{{Click: "#more"}}, Screenshot: true, BlockResources: true, BlockAds: true, BlockURLs: []string{"**.ads/**"}}
	if diff := cmp.Diff(want, r.got); diff != "" {
		t.Errorf("render options (-want +got):\n%s", diff)
	}
}
