package contacts

import (
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
		code  string // the error code; EINVALID when field is set
	}{
		{"defaults", `{"urls":["https://Acme-Tools.de:443/#top"]}`,
			&Params{URLs: []string{"https://acme-tools.de/"}, MaxPagesPerSite: 5, RespectRobotsTxt: true}, "", ""},
		{"everything, unknown fields ignored", `{"urls":["http://a.example/","http://a.example/","https://b.example/x"],
			"maxPagesPerSite":0,"respectRobotsTxt":false,"limit":5,"webhook":{"url":"https://h.example/"},"jsRendering":true}`,
			&Params{URLs: []string{"http://a.example/", "https://b.example/x"}, MaxPagesPerSite: 0, JSRendering: true}, "", ""},
		{"max pages 20", `{"urls":["https://e.org/"],"maxPagesPerSite":20}`,
			&Params{URLs: []string{"https://e.org/"}, MaxPagesPerSite: 20, RespectRobotsTxt: true}, "", ""},
		{"no urls", `{}`, nil, "urls", trawl.EINVALID},
		{"empty urls", `{"urls":[]}`, nil, "urls", trawl.EINVALID},
		{"urls not a list", `{"urls":"https://e.org/"}`, nil, "urls", trawl.EINVALID},
		{"too many urls", `{"urls":[` + repeatURLs(101) + `]}`, nil, "urls", trawl.EINVALID},
		{"ftp", `{"urls":["https://e.org/","ftp://e.org/"]}`, nil, "urls[1]", trawl.EINVALID},
		{"no scheme", `{"urls":["acme-tools.de"]}`, nil, "urls[0]", trawl.EINVALID},
		{"pages too many", `{"urls":["https://e.org/"],"maxPagesPerSite":21}`, nil, "maxPagesPerSite", trawl.EINVALID},
		{"pages negative", `{"urls":["https://e.org/"],"maxPagesPerSite":-1}`, nil, "maxPagesPerSite", trawl.EINVALID},
		{"pages fraction", `{"urls":["https://e.org/"],"maxPagesPerSite":2.5}`, nil, "maxPagesPerSite", trawl.EINVALID},
		{"pages string", `{"urls":["https://e.org/"],"maxPagesPerSite":"5"}`, nil, "maxPagesPerSite", trawl.EINVALID},
		{"robots not bool", `{"urls":["https://e.org/"],"respectRobotsTxt":"yes"}`, nil, "respectRobotsTxt", trawl.EINVALID},
		{"not an object", `[1]`, nil, "", trawl.EMALFORMED},
		{"not JSON", `{`, nil, "", trawl.EMALFORMED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseParams([]byte(tt.body))
			if tt.code != "" {
				e, ok := err.(*trawl.Error)
				if !ok || e.Code != tt.code || (tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.field)) {
					t.Fatalf("got %v, want a %s error on %q", err, tt.code, tt.field)
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

func repeatURLs(n int) string {
	s := ""
	for i := range n {
		if i > 0 {
			s += ","
		}
		s += `"https://e.org/` + string(rune('a'+i%26)) + `"`
	}
	return s
}

func TestParamsOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    Params
		want page.SiteOptions
	}{
		{Params{MaxPagesPerSite: 5, RespectRobotsTxt: true}, page.SiteOptions{MaxPages: 5}},
		{Params{MaxPagesPerSite: 0, RespectRobotsTxt: false}, page.SiteOptions{MaxPages: -1, IgnoreRobots: true}},
	} {
		if got := tt.p.options(); got != tt.want {
			t.Errorf("%+v.options(): got %+v, want %+v", tt.p, got, tt.want)
		}
	}
}
