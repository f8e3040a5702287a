package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

func TestSyncEndpoints(t *testing.T) {
	t.Parallel()
	usage := &fakeUsage{credits: map[int64]int64{}, quota: map[int64]int64{2: 0}}
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	echo := scrape.Endpoint{
		Path:    "/scrape/test/echo",
		Summary: "Echo",
		Params:  []scrape.EndpointParam{{Name: "q", Type: "string", Required: true}, {Name: "mode", Type: "string", Enum: []string{"a", "b"}}},
		Do: func(_ context.Context, q url.Values) (*scrape.EndpointResult, error) {
			switch q.Get("q") {
			case "":
				var v trawl.Invalid
				v.Add("q", "is required")
				return nil, v.Err()
			case "missing":
				return nil, scrape.Unresolved("No such thing as %q.", "missing")
			case "down":
				return nil, errors.New("fetch https://target.example/: HTTP 503")
			case "empty":
				return &scrape.EndpointResult{Body: map[string]any{}}, nil
			case "slow":
				started <- struct{}{}
				<-release
			}
			return &scrape.EndpointResult{Body: map[string]any{"items": q["q"]}, Credits: 2}, nil
		},
	}
	b := setup(t, func(c *Config) {
		c.Endpoints = []scrape.Endpoint{echo}
		c.Usage = usage
		c.WebConcurrency = 1
	})

	w := b.do(t, "GET", "/scrape/test/echo?q=hello", "", "X-Request-Id", "req-1")
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), `{"requestMetadata":{"id":"req-1","status":"ok"},"items":["hello"]}`) {
		t.Errorf("ok: %d %s", w.Code, w.Body)
	}
	if w := b.do(t, "GET", "/scrape/test/echo?q=empty", ""); w.Code != 200 || !strings.Contains(w.Body.String(), `"status":"ok"}}`) {
		t.Errorf("empty body: %d %s", w.Code, w.Body)
	}
	e := wantError(t, b.do(t, "GET", "/scrape/test/echo", ""), 422)
	if len(e.Errors) != 1 || e.Errors[0].Field != "q" {
		t.Errorf("422: %+v", e)
	}
	for q, status := range map[string]int{"missing": 400, "down": 502} {
		w := b.do(t, "GET", "/scrape/test/echo?q="+q, "")
		var body struct {
			RequestMetadata struct{ Status string } `json:"requestMetadata"`
			Message         string                  `json:"message"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != status || body.RequestMetadata.Status != "error" || body.Message == "" {
			t.Errorf("%s: %d %s", q, w.Code, w.Body)
		}
	}
	wantError(t, b.do(t, "GET", "/scrape/test/echo?q=x", "", "x-api-key", ""), 401)

	// Only the successful calls are counted: 2 credits.
	if u, _ := usage.Usage(t.Context(), 1); u.SyncCredits != 2 {
		t.Errorf("credits counted %d, want 2", u.SyncCredits)
	}
	// An account past its quota is refused; one call in flight is the bound.
	if w := b.do(t, "GET", "/scrape/test/echo?q=x", "", "x-api-key", key2); w.Code != 403 || !strings.Contains(w.Body.String(), "credits_exhausted") {
		t.Errorf("past the quota: %d %s", w.Code, w.Body)
	}
	done := make(chan int)
	go func() { done <- b.do(t, "GET", "/scrape/test/echo?q=slow", "").Code }()
	<-started
	if w := b.do(t, "GET", "/scrape/test/echo?q=x", ""); w.Code != 429 || !strings.Contains(w.Body.String(), "concurrency_limit") {
		t.Errorf("a second call in flight: %d %s", w.Code, w.Body)
	}
	close(release)
	if code := <-done; code != 200 {
		t.Errorf("the slow call: %d", code)
	}

	// The endpoint and its parameters are in the OpenAPI document.
	spec := b.do(t, "GET", "/openapi.json", "").Body.String()
	if !strings.Contains(spec, `"/scrape/test/echo"`) || !strings.Contains(spec, `"name":"mode"`) || !strings.Contains(spec, `"502"`) {
		t.Errorf("openapi lacks the endpoint")
	}
}

// TestCatalogueListsSyncEndpoints checks that GET /apis lists every
// synchronous endpoint and that GET /apis/{slug} describes its parameters
// exactly as the OpenAPI document does.
func TestCatalogueListsSyncEndpoints(t *testing.T) {
	t.Parallel()
	lo, hi := 1.0, 100.0
	ep := scrape.Endpoint{
		Path: "/scrape/test-site/search", Summary: "Search the test site", Description: "One page of results.",
		Params: []scrape.EndpointParam{
			{Name: "q", Type: "string", Required: true, Pattern: `\S`, Description: "What to search for."},
			{Name: "page", Type: "integer", Minimum: &lo, Maximum: &hi},
			{Name: "sort", Type: "string", Enum: []string{"new", "old"}},
		},
		Do: func(context.Context, url.Values) (*scrape.EndpointResult, error) {
			return &scrape.EndpointResult{Body: map[string]any{}}, nil
		},
	}
	b := setup(t, func(c *Config) {
		c.Web = newTestEngine(t, nil)
		c.Endpoints = []scrape.Endpoint{ep}
	})
	var list []catalogueCategory
	wantOK(t, b.do(t, "GET", "/apis", "", "x-api-key", ""), &list)
	if len(list) != 2 || list[1].Slug != "scrapers" || len(list[1].APIs) != 1 || list[1].APIs[0].Slug != "test_site_search" {
		t.Fatalf("/apis: %+v", list)
	}
	var api struct {
		Schema struct {
			Method, URL string
			Required    []string
			Properties  map[string]map[string]any
		}
	}
	wantOK(t, b.do(t, "GET", "/apis/test_site_search", "", "x-api-key", ""), &api)
	if api.Schema.Method != "GET" || api.Schema.URL != "http://trawl.test/scrape/test-site/search" ||
		len(api.Schema.Required) != 1 || api.Schema.Required[0] != "q" {
		t.Errorf("schema: %+v", api.Schema)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name     string         `json:"name"`
				Required bool           `json:"required"`
				Schema   map[string]any `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	wantOK(t, b.do(t, "GET", "/openapi.json", ""), &doc)
	params := doc.Paths["/scrape/test-site/search"]["get"].Parameters
	if len(params) != len(api.Schema.Properties) {
		t.Fatalf("OpenAPI has %d parameters, the catalogue %d properties", len(params), len(api.Schema.Properties))
	}
	for _, p := range params {
		prop := api.Schema.Properties[p.Name]
		for _, k := range []string{"type", "pattern", "minimum", "maximum"} {
			if p.Schema[k] != prop[k] {
				t.Errorf("%s.%s: OpenAPI %v, catalogue %v", p.Name, k, p.Schema[k], prop[k])
			}
		}
		if enum, _ := json.Marshal(p.Schema["enum"]); string(enum) != mustJSON(t, prop["enum"]) {
			t.Errorf("%s.enum: OpenAPI %s, catalogue %s", p.Name, enum, mustJSON(t, prop["enum"]))
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
