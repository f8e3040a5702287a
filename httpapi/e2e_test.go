package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOverHTTP runs the handler behind a real server: the default body cap,
// a create and a HEAD probe, through the network stack.
func TestOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.MaxBodyBytes = 0 }) // the default, 1 MiB
	srv := httptest.NewServer(b.handler)
	t.Cleanup(srv.Close)
	client := srv.Client()

	post := func(body string) *http.Response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/scrapers/crawler/jobs", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-api-key", key1)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	big := `{"urls":["` + strings.Repeat("a", DefaultMaxBodyBytes) + `"]}`
	resp := post(big)
	var e apiError
	if err := json.Unmarshal(readAll(t, resp.Body), &e); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusRequestEntityTooLarge || e.Message != "The request body is larger than the limit of 1048576 bytes." {
		t.Errorf("big body: got %d %q, want 413 naming the limit", resp.StatusCode, e.Message)
	}

	resp = post(`{"urls":["https://example.com"]}`)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("create: got %d, want 200: %s", resp.StatusCode, readAll(t, resp.Body))
	}

	req, err := http.NewRequestWithContext(t.Context(), http.MethodHead, srv.URL+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	head, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	head.Body.Close()
	if head.StatusCode != http.StatusOK {
		t.Errorf("HEAD /healthz: got %d, want 200", head.StatusCode)
	}
}
