package page

import (
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trawlhq/trawl"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		want   Options
		fields []string // the fields the errors name, in order
	}{
		{"defaults kept", `{"url": "x"}`, Options{ExtractEmails: true}, nil},
		{"everything", `{"outputFormat": ["JSON", "text", "text"], "extractRules": {"t": "h1", "h": "a @href"},
			"aiExtractRules": {"a": {"type": "string"}}, "excludeTags": ["nav", " "], "includeOnlyTags": "main",
			"removeBase64Images": true, "extractEmails": false, "extractLinks": true,
			"headers": {"cookie": "a=1", "Host": "x", "Connection": "close"}, "jsRendering": true, "wait": 100,
			"waitFor": "#app", "jsScenario": [{"click": "#a"}, {"fill": ["#q", "v"]}, {"wait": 5}, {"scrollY": -10}],
			"screenshot": true, "blockResources": true, "blockAds": true, "blockUrls": ["**.ads/**"],
			"proxyType": "Residential", "proxyCountry": "gb"}`,
			Options{OutputFormat: []string{"json", "text"}, ExtractRules: map[string]string{"t": "h1", "h": "a @href"},
				AIExtractRules: json.RawMessage(`{"a":{"type":"string"}}`), ExcludeTags: []string{"nav"}, IncludeOnlyTags: []string{"main"},
				RemoveBase64Images: true, ExtractLinks: true, Headers: map[string]string{"Cookie": "a=1"}, JSRendering: true, Wait: 100,
				WaitFor: "#app", JSScenario: []Action{{Click: "#a"}, {Fill: &[2]string{"#q", "v"}}, {Wait: ptr(5)}, {ScrollY: ptr(-10)}},
				Screenshot: true, BlockResources: true, BlockAds: true, BlockURLs: []string{"**.ads/**"},
				ProxyType: "residential", ProxyCountry: "UK"}, nil},
		{"comma list", `{"outputFormat": "text,markdown"}`, Options{OutputFormat: []string{"text", "markdown"}, ExtractEmails: true}, nil},
		{"wrong types", `{"outputFormat": 3, "extractRules": ["h1"], "headers": "Cookie: a", "wait": "5", "extractLinks": "yes",
			"jsScenario": {"click": "a"}, "waitFor": "[["}`, Options{},
			[]string{"extractLinks", "extractRules", "headers", "jsScenario", "outputFormat", "wait", "waitFor"}},
		{"bad items", `{"outputFormat": ["text", "pdf"], "includeOnlyTags": ["ok", "a[", "b"], "extractRules": {"p": "a @"},
			"headers": {"X-A": "1\r\nX-B: 2", "Bad Name": "v"}, "jsScenario": [{"click": "a", "wait": 1}, {"fill": "x"}, {"wait": 60000}]}`,
			Options{}, []string{"extractRules.p", "headers.Bad Name", "headers.X-A", "includeOnlyTags[1]", "jsScenario[0]",
				"jsScenario[1].fill", "jsScenario[2].wait", "outputFormat[1]"}},
		{"not an object", `[1]`, Options{}, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v trawl.Invalid
			got := ParseOptions(&v, []byte(tt.body), Options{ExtractEmails: true})
			var fields []string
			if e, ok := v.Err().(*trawl.Error); ok {
				for _, f := range e.Fields {
					fields = append(fields, f.Field)
				}
			}
			slices.Sort(fields)
			if diff := cmp.Diff(tt.fields, fields); diff != "" {
				t.Fatalf("error fields (-want +got):\n%s\n%v", diff, v.Err())
			}
			if tt.fields == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("options (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func ptr(n int) *int { return &n }

func TestFromQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query string
		want  string
	}{
		{"url=http://a/&outputFormat=text&outputFormat=json", `{"outputFormat":["text","json"],"url":"http://a/"}`},
		{"outputFormat[]=text&outputFormat[]=json", `{"outputFormat":["text","json"]}`},
		{"outputFormat[0]=text&outputFormat[1]=json", `{"outputFormat":["text","json"]}`},
		{"outputFormat=text,%20json", `{"outputFormat":["text","json"]}`},
		{`outputFormat=["text","json"]`, `{"outputFormat":["text","json"]}`},
		{"blockUrls=**.a/**,b", `{"blockUrls":["**.a/**,b"]}`},
		{`extractRules={"t":"h1"}&headers[Cookie]=a=1`, `{"extractRules":{"t":"h1"},"headers":{"Cookie":"a=1"}}`},
		{"extractRules=h1", `{"extractRules":"h1"}`},
		{"jsRendering=false&extractEmails=1&screenshot=maybe", `{"extractEmails":true,"jsRendering":false,"screenshot":"maybe"}`},
		{"wait=500&other=1", `{"wait":500}`},
		{"wait=soon", `{"wait":"soon"}`},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(FromQuery(q, "url")); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.query, got, tt.want)
		}
	}
}

// FuzzParseOptions: any body parses without panicking, and options that
// pass validation survive being stored as JSON and parsed again (a crawler
// job stores them and every task reads them back).
func FuzzParseOptions(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"outputFormat": ["text", "json"], "extractRules": {"a": "h1 @href"}}`,
		`{"excludeTags": ["nav", "div > p:nth-child(2)"], "headers": {"Cookie": "a"}, "jsScenario": [{"wait": 5}]}`,
		`{"aiExtractRules": {"p": {"type": "list", "output": {"t": {"type": "string"}}}}}`,
		`{"proxyType": "datacenter", "proxyCountry": "gb", "wait": 30000, "blockUrls": "x"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v trawl.Invalid
		o := ParseOptions(&v, []byte(body), Options{})
		if v.Err() != nil {
			return
		}
		stored, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var v2 trawl.Invalid
		again := ParseOptions(&v2, stored, Options{})
		if err := v2.Err(); err != nil {
			t.Fatalf("stored options %s do not parse: %v", stored, err)
		}
		if diff := cmp.Diff(o, again, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %s (-first +again):\n%s", stored, diff)
		}
	})
}
