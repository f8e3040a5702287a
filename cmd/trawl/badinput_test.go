package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBadInput sends each kind of bad request and checks its status, that the
// message names the problem, and that nothing was stored.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": dir}))
	// A second account, with a job of its own.
	other := &instance{t: t, base: in.base, client: in.client}
	var keyOut syncBuffer
	if err := run(t.Context(), []string{"keys", "create", "--account-name", "other", "--data-dir", dir}, func(string) string { return "" }, &keyOut, &syncBuffer{}); err != nil {
		t.Fatal(err)
	}
	for f := range strings.FieldsSeq(keyOut.String()) {
		if strings.HasPrefix(f, "trawl_") {
			other.key = f
		}
	}
	var theirs jobRecord
	if code := other.do("POST", "/scrapers/crawler/jobs", `{"urls":["https://example.org/"],"maxDepth":0}`, &theirs); code != 200 {
		t.Fatalf("other account's job: %d", code)
	}
	other.do("DELETE", fmt.Sprintf("/scrapers/jobs/%d", theirs.ID), nil, nil)

	hook := `"webhook":{"url":"https://hooks.example.org/x"`
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		key    string // "" = the valid key; "-" = none
		status int
		want   string // in the message or field errors
	}{
		{"malformed JSON", "POST", "/scrapers/crawler/jobs", `{"urls": [`, "", 400, "JSON"},
		{"not an object", "POST", "/scrapers/crawler/jobs", `["https://example.org/"]`, "", 400, "object"},
		{"empty body", "POST", "/scrapers/crawler/jobs", ``, "", 400, ""},
		{"urls wrong type", "POST", "/scrapers/crawler/jobs", `{"urls": "https://example.org/"}`, "", 422, "urls"},
		{"empty urls", "POST", "/scrapers/crawler/jobs", `{"urls": []}`, "", 422, "urls"},
		{"missing urls", "POST", "/scrapers/crawler/jobs", `{}`, "", 422, "urls"},
		{"101 urls", "POST", "/scrapers/crawler/jobs", `{"urls": [` + strings.TrimSuffix(strings.Repeat(`"https://e.org/",`, 101), ",") + `]}`, "", 422, "101"},
		{"ftp url", "POST", "/scrapers/crawler/jobs", `{"urls": ["ftp://example.org/"]}`, "", 422, "urls[0]"},
		{"maxDepth wrong type", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "maxDepth": "2"}`, "", 422, "maxDepth"},
		{"limit negative", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "limit": -1}`, "", 422, "limit"},
		{"bad regex", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "includePaths": ["/blog/(unclosed"]}`, "", 422, "includePaths[0]"},
		{"unknown format", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "outputFormat": ["pdf"]}`, "", 422, "markdown"},
		{"webhook bad url", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "webhook": {"url": "not a url"}}`, "", 422, "webhook.url"},
		{"unknown event", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], ` + hook + `, "events": ["scraper.job.exploded"]}}`, "", 422, "scraper.job.finished"},
		{"Host header", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], ` + hook + `, "headers": {"Host": "evil"}}}`, "", 422, "webhook.headers.Host"},
		{"CRLF in header", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], ` + hook + `, "headers": {"X-A": "a\r\nX-B: b"}}}`, "", 422, "CR"},
		{"maxAttempts too many", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], ` + hook + `, "maxAttempts": 11}}`, "", 422, "maxAttempts"},
		{"oversized body", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"], "pad": "` + strings.Repeat("x", 2<<20) + `"}`, "", 413, ""},
		{"unknown scraper", "POST", "/scrapers/nope/jobs", `{"urls": ["https://e.org/"]}`, "", 404, "nope"},
		{"no key", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"]}`, "-", 401, "key"},
		{"wrong key", "POST", "/scrapers/crawler/jobs", `{"urls": ["https://e.org/"]}`, "trawl_wrong", 401, "key"},
		{"another account's job", "GET", fmt.Sprintf("/scrapers/jobs/%d", theirs.ID), "", "", 404, ""},
		{"stop another account's job", "DELETE", fmt.Sprintf("/scrapers/jobs/%d", theirs.ID), "", "", 404, ""},
		{"another account's results", "GET", fmt.Sprintf("/scrapers/jobs/%d/results", theirs.ID), "", "", 404, ""},
		{"results limit 101", "GET", fmt.Sprintf("/scrapers/jobs/%d/results?limit=101", theirs.ID), "", "", 422, "limit"},
		{"list bad status", "GET", "/scrapers/jobs?status=done", "", "", 422, "in_progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &instance{t: t, base: in.base, client: in.client, key: in.key}
			switch tt.key {
			case "-":
				c.key = ""
			case "":
			default:
				c.key = tt.key
			}
			var body struct {
				Message string `json:"message"`
				Errors  []struct {
					Field   string `json:"field"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			var payload any
			if tt.body != "" || tt.method == "POST" {
				payload = tt.body
			}
			code := c.do(tt.method, tt.path, payload, &body)
			if code != tt.status {
				t.Fatalf("status %d, want %d (message %q)", code, tt.status, body.Message)
			}
			if body.Message == "" {
				t.Fatalf("no message")
			}
			text := body.Message
			for _, e := range body.Errors {
				text += " | " + e.Field + ": " + e.Message
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("error %q does not mention %q", text, tt.want)
			}
		})
	}
	// None of it stored anything: this account still has no jobs.
	var list struct {
		Meta struct{ Total int64 } `json:"meta"`
	}
	if code := in.do(http.MethodGet, "/scrapers/jobs", nil, &list); code != 200 || list.Meta.Total != 0 {
		t.Errorf("jobs list: status %d, total %d; want 200 and no jobs", code, list.Meta.Total)
	}
}
