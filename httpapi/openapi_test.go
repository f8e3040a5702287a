package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl/scrape"
	"github.com/trawlhq/trawl/scrape/crawler"
)

// The API surface of DESIGN.md §4 this package serves so far. A route added
// to routes.go must be added here too, which keeps the change deliberate.
var wantRoutes = []string{
	"POST /scrapers/{slug}/jobs",
	"GET /scrapers/jobs",
	"GET /scrapers/jobs/{id}",
	"GET /scrapers/jobs/{id}/results",
	"DELETE /scrapers/jobs/{id}",
	"GET /scrapers",
	"GET /healthz",
	"GET /readyz",
	"GET /user/me",
	"GET /user/me/usage",
	"GET /openapi.json",
	"GET /openapi.yaml",
}

// openAPIDoc is the part of the served document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                 `json:"openapi"`
	Paths      map[string]map[string]openAPIOperation `json:"paths"`
	Components struct {
		Schemas         map[string]json.RawMessage   `json:"schemas"`
		SecuritySchemes map[string]map[string]string `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string `json:"operationId"`
	Parameters  []struct {
		Name   string         `json:"name"`
		In     string         `json:"in"`
		Schema map[string]any `json:"schema"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
	Security *[]map[string][]string `json:"security"`
}

func serveSpec(t *testing.T, b *testBundle) openAPIDoc {
	t.Helper()
	w := b.do(t, http.MethodGet, "/openapi.json", "", "x-api-key", "")
	if w.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: got %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/openapi+json" {
		t.Errorf("Content-Type: got %q", ct)
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("/openapi.json is not valid JSON")
	}
	var doc openAPIDoc
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestOpenAPICoversEveryRoute walks the served document and checks that every
// pattern registered on the mux is in it, with its responses.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := serveSpec(t, b)
	if !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(doc.OpenAPI) {
		t.Errorf("openapi: got %q, want 3.1.x", doc.OpenAPI)
	}
	if diff := cmp.Diff(wantRoutes, b.server.patterns); diff != "" {
		t.Errorf("routes registered on the mux (-want +got):\n%s", diff)
	}
	var inDoc []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if path == "/scrapers/crawler/jobs" || path == "/metrics" {
				continue // the crawler's own description of POST /scrapers/{slug}/jobs; served by the command
			}
			inDoc = append(inDoc, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(inDoc)
	registered := slices.Sorted(slices.Values(b.server.patterns))
	if diff := cmp.Diff(registered, inDoc); diff != "" {
		t.Errorf("routes in /openapi.json (-registered +documented):\n%s", diff)
	}
	for _, pattern := range b.server.patterns {
		method, path, _ := strings.Cut(pattern, " ")
		op := doc.Paths[path][strings.ToLower(method)]
		if op.OperationID == "" {
			t.Errorf("%s: no operationId", pattern)
		}
		if op.Security == nil {
			t.Errorf("%s: no security requirement (public operations list none explicitly)", pattern)
		}
		if _, ok := op.Responses["200"]; !ok {
			t.Errorf("%s: no 200 response", pattern)
		}
		for status, r := range op.Responses {
			if status[0] != '4' && status[0] != '5' || status == "503" {
				continue
			}
			if ref := r.Content["application/json"].Schema["$ref"]; ref != "#/components/schemas/ErrorBody" {
				t.Errorf("%s: %s response schema: got %v, want the error shape", pattern, status, ref)
			}
		}
	}
	for _, gone := range []string{"ErrorModel", "ErrorDetail"} {
		if _, ok := doc.Components.Schemas[gone]; ok {
			t.Errorf("huma's %s is still in the document", gone)
		}
	}
}

func TestOpenAPIDetails(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := serveSpec(t, b)

	if diff := cmp.Diff(map[string]string{"type": "apiKey", "in": "header", "name": "x-api-key", "description": "The account's API key."},
		doc.Components.SecuritySchemes[securityAPIKey]); diff != "" {
		t.Errorf("apiKey scheme (-want +got):\n%s", diff)
	}
	for pattern, wantSecured := range map[string]bool{"GET /scrapers/jobs/{id}": true, "POST /scrapers/{slug}/jobs": true, "GET /healthz": false, "GET /openapi.json": false} {
		method, path, _ := strings.Cut(pattern, " ")
		op := doc.Paths[path][strings.ToLower(method)]
		if got := op.Security != nil && len(*op.Security) > 0; got != wantSecured {
			t.Errorf("%s secured: got %v, want %v", pattern, got, wantSecured)
		}
	}

	params := func(path, method string) map[string]map[string]any {
		out := map[string]map[string]any{}
		for _, p := range doc.Paths[path][method].Parameters {
			out[p.In+"."+p.Name] = p.Schema
		}
		return out
	}
	results := params("/scrapers/jobs/{id}/results", "get")
	if diff := cmp.Diff(map[string]map[string]any{
		"path.id":     {"type": "integer", "format": "int64", "examples": []any{416349.0}},
		"query.page":  {"type": "integer", "format": "int64", "minimum": 1.0, "default": 1.0, "description": "The page, from 1. A page past the last one is empty."},
		"query.limit": {"type": "integer", "format": "int64", "minimum": 1.0, "maximum": 100.0, "default": 100.0, "description": "Rows per page."},
	}, results); diff != "" {
		t.Errorf("results parameters (-want +got):\n%s", diff)
	}
	status := params("/scrapers/jobs", "get")["query.status"]
	if diff := cmp.Diff([]any{"pending", "in_progress", "finished", "stopped", "failed"}, status["enum"]); diff != "" {
		t.Errorf("status enum (-want +got):\n%s", diff)
	}

	create := doc.Paths["/scrapers/{slug}/jobs"]["post"]
	if create.RequestBody == nil || create.RequestBody.Content["application/json"] == nil || len(create.RequestBody.Content) != 1 {
		t.Errorf("create request body: got %+v, want one application/json schema", create.RequestBody)
	}
	if _, ok := doc.Components.Schemas["CrawlerParams"]; !ok {
		t.Error("no CrawlerParams schema for the crawler's create body")
	}
	var crawler map[string]any
	if err := json.Unmarshal(doc.Components.Schemas["CrawlerParams"], &crawler); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"type": "object", "required": []any{"urls"},
		"properties": map[string]any{"urls": map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}, crawler); diff != "" {
		t.Errorf("CrawlerParams is not the scraper's schema (-want +got):\n%s", diff)
	}

	for _, name := range []string{"JobRecord", "StoppedJob", "ResultsPage", "JobsPage", "PageMeta", "Row", "ScraperList", "ErrorBody", "Webhook"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no %s schema", name)
		}
	}
}

func TestOpenAPIYAML(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := b.do(t, http.MethodGet, "/openapi.yaml", "", "x-api-key", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/openapi+yaml" {
		t.Fatalf("GET /openapi.yaml: got %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if !strings.Contains(w.Body.String(), "openapi: 3.1.0") || !strings.Contains(w.Body.String(), "/scrapers/jobs/{id}/results:") {
		t.Errorf("/openapi.yaml lacks the version or a path:\n%.500s", w.Body)
	}
}

// TestOpenAPIWithARealScraper documents the crawler's own schema verbatim.
func TestOpenAPIWithARealScraper(t *testing.T) {
	t.Parallel()
	info := crawler.New(nil, nil).Info()
	b := setup(t, func(c *Config) { c.Scrapers = []scrape.Info{info} })
	doc := serveSpec(t, b)
	want, err := json.Marshal(info.Params)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantV any
	if err := json.Unmarshal(doc.Components.Schemas["CrawlerParams"], &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantV, got); diff != "" {
		t.Errorf("CrawlerParams (-scraper's schema +documented):\n%s", diff)
	}
}
