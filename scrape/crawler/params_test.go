package crawler

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape/page"
)

func TestParseParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		want  *Params
		field string // the field the error names
	}{
		{"defaults", `{"urls":["https://Example.org:443/a#x"]}`,
			&Params{URLs: []string{"https://example.org/a"}, MaxDepth: 1, Options: page.Options{OutputFormat: []string{"text"}}, RespectRobotsTxt: true}, ""},
		{"everything", `{"urls":["http://a.example/","http://a.example/"],"maxDepth":3,"includePaths":["^/blog/"],"excludePaths":"\\.pdf$",
			"outputFormat":["markdown","html","markdown"],"respectRobotsTxt":false,"limit":5,"jsRendering":true}`,
			&Params{URLs: []string{"http://a.example/"}, MaxDepth: 3, IncludePaths: []string{"^/blog/"}, ExcludePaths: []string{`\.pdf$`},
				Options: page.Options{OutputFormat: []string{"markdown", "html"}, JSRendering: true}}, ""},
		{"single format string", `{"urls":["https://e.org/"],"outputFormat":"markdown"}`,
			&Params{URLs: []string{"https://e.org/"}, MaxDepth: 1, Options: page.Options{OutputFormat: []string{"markdown"}}, RespectRobotsTxt: true}, ""},
		{"no urls", `{}`, nil, "urls"},
		{"urls not list", `{"urls":"https://e.org/"}`, nil, "urls"},
		{"empty urls", `{"urls":[]}`, nil, "urls"},
		{"url too long", `{"urls":["https://e.org/` + strings.Repeat("a", 2048) + `"]}`, nil, "urls[0]"},
		{"url bad port", `{"urls":["https://e.org:99999/"]}`, nil, "urls[0]"},
		{"ftp", `{"urls":["https://e.org/","ftp://e.org/"]}`, nil, "urls[1]"},
		{"relative", `{"urls":["/x"]}`, nil, "urls[0]"},
		{"depth too deep", `{"urls":["https://e.org/"],"maxDepth":21}`, nil, "maxDepth"},
		{"depth fraction", `{"urls":["https://e.org/"],"maxDepth":1.5}`, nil, "maxDepth"},
		{"depth string", `{"urls":["https://e.org/"],"maxDepth":"2"}`, nil, "maxDepth"},
		{"bad include", `{"urls":["https://e.org/"],"includePaths":["("]}`, nil, "includePaths[0]"},
		{"bad exclude", `{"urls":["https://e.org/"],"excludePaths":["ok","[z-a]"]}`, nil, "excludePaths[1]"},
		{"unknown format", `{"urls":["https://e.org/"],"outputFormat":["text","xml"]}`, nil, "outputFormat[1]"},
		{"json format", `{"urls":["https://e.org/"],"outputFormat":["json"],"extractRules":{"h":"h1"},"excludeTags":["nav"]}`,
			&Params{URLs: []string{"https://e.org/"}, MaxDepth: 1, RespectRobotsTxt: true, Options: page.Options{OutputFormat: []string{"json"},
				ExtractRules: map[string]string{"h": "h1"}, ExcludeTags: []string{"nav"}}}, ""},
		{"bad exclude selector", `{"urls":["https://e.org/"],"excludeTags":["nav","div[["]}`, nil, "excludeTags[1]"},
		{"bad include selector", `{"urls":["https://e.org/"],"includeOnlyTags":[">>"]}`, nil, "includeOnlyTags[0]"},
		{"bad rule", `{"urls":["https://e.org/"],"extractRules":{"price":"span..x"}}`, nil, "extractRules.price"},
		{"bad ai rule", `{"urls":["https://e.org/"],"aiExtractRules":{"p":{"type":"date"}}}`, nil, "aiExtractRules.p.type"},
		{"bad header", `{"urls":["https://e.org/"],"headers":{"X-A":"a\nb"}}`, nil, "headers.X-A"},
		{"bad scenario", `{"urls":["https://e.org/"],"jsScenario":[{"hover":"a"}]}`, nil, "jsScenario[0].hover"},
		{"bad proxy country", `{"urls":["https://e.org/"],"proxyCountry":"XX"}`, nil, "proxyCountry"},
		{"empty formats", `{"urls":["https://e.org/"],"outputFormat":[]}`, nil, "outputFormat"},
		{"robots not bool", `{"urls":["https://e.org/"],"respectRobotsTxt":"yes"}`, nil, "respectRobotsTxt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseParams([]byte(tt.body))
			if tt.field != "" {
				e, ok := err.(*trawl.Error)
				if !ok || e.Code != trawl.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
					t.Fatalf("got %v, want an invalid error on %s", err, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMatcher(t *testing.T) {
	t.Parallel()
	m, err := newMatcher(&Params{IncludePaths: []string{"^/blog/", "^/news/"}, ExcludePaths: []string{`\.pdf$`}})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{"/blog/a": true, "/news/": true, "/blog/a.pdf": false, "/about": false} {
		if got := m.allows(path); got != want {
			t.Errorf("allows(%q) = %v, want %v", path, got, want)
		}
	}
}
