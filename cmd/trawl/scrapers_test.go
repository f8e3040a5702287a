package main

import (
	"slices"
	"testing"
)

// TestScrapersListed checks that GET /scrapers lists every scraper with a
// parameter schema a form can be built from without knowing the scraper:
// an object whose properties each say their type (or their alternatives,
// or the shared webhook), whose required fields are among them, and the
// row columns.
func TestScrapersListed(t *testing.T) {
	t.Parallel()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	var list struct {
		Data []struct {
			Slug       string         `json:"slug"`
			Name       string         `json:"name"`
			Parameters map[string]any `json:"parameters"`
			Columns    []string       `json:"columns"`
		} `json:"data"`
	}
	if code := in.do("GET", "/scrapers", nil, &list); code != 200 {
		t.Fatalf("GET /scrapers: status %d", code)
	}
	var slugs []string
	for _, s := range list.Data {
		slugs = append(slugs, s.Slug)
		props, _ := s.Parameters["properties"].(map[string]any)
		if s.Parameters["type"] != "object" || len(props) < 3 || len(s.Columns) == 0 || s.Name == "" {
			t.Errorf("%s: parameters %v, columns %v", s.Slug, s.Parameters, s.Columns)
			continue
		}
		for name, p := range props {
			pm, _ := p.(map[string]any)
			if pm["type"] == nil && pm["oneOf"] == nil && pm["$ref"] == nil {
				t.Errorf("%s: property %s has no type: %v", s.Slug, name, pm)
			}
		}
		req, _ := s.Parameters["required"].([]any)
		for _, r := range req {
			if props[r.(string)] == nil {
				t.Errorf("%s: required %v is not a property", s.Slug, r)
			}
		}
	}
	for _, want := range []string{"crawler", "contacts", "google-maps", "google-maps-reviews", "google-serp", "shopify", "sec-edgar", "yellow-pages"} {
		if !slices.Contains(slugs, want) {
			t.Errorf("GET /scrapers lacks %s: %v", want, slugs)
		}
	}
}
