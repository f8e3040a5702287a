package page

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl/egress"
)

// llmServer is a fake OpenAI-compatible server answering every chat
// completion with content, after the request is checked.
func llmServer(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, req map[string]any)) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" ||
			json.NewDecoder(r.Body).Decode(&req) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		answer(w, r, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func completion(content string) map[string]any {
	return map[string]any{"choices": []any{map[string]any{"message": map[string]any{"role": "assistant", "content": content}}}}
}

func newTestLLM(t *testing.T, srv *httptest.Server, timeout time.Duration) *LLM {
	t.Helper()
	// Private networks stay refused: the LLM's host is let through by name.
	client := egress.NewClient(egress.Options{AllowHosts: []string{"127.0.0.1"}})
	t.Cleanup(client.CloseIdleConnections)
	l, err := NewLLM(LLMConfig{URL: srv.URL + "/v1", Model: "tiny", APIKey: "sk-test", Client: client, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const productRules = `{"company": {"type": "string", "description": "the shop's name"},
	"open": {"type": "boolean"},
	"kind": {"type": "string", "enum": ["shop", "blog"]},
	"products": {"type": "list", "output": {"title": {"type": "string"}, "price": {"type": "number"}}},
	"tags": {"type": "list", "output": "string"},
	"address": {"type": "item", "output": {"city": {"type": "string"}}}}`

func TestLLMExtract(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string
		want    map[string]any
		err     string
	}{
		{"valid", `{"company": "Acme", "open": true, "kind": "shop", "products": [{"title": "Widget", "price": 9.5}], "tags": ["a"], "address": {"city": "Berlin"}}`,
			map[string]any{"company": "Acme", "open": true, "kind": "shop", "products": []any{map[string]any{"title": "Widget", "price": 9.5}},
				"tags": []any{"a"}, "address": map[string]any{"city": "Berlin"}}, ""},
		{"nulls and missing keys", "```json\n{\"company\": null, \"products\": [{\"title\": \"W\"}]}\n```",
			map[string]any{"company": nil, "open": nil, "kind": nil, "products": []any{map[string]any{"title": "W", "price": nil}},
				"tags": nil, "address": nil}, ""},
		{"invalid JSON", `Sure! The company is Acme.`, nil, "not JSON"},
		{"wrong type", `{"company": 5}`, nil, "company: got float64 where string is wanted"},
		{"outside enum", `{"kind": "forum"}`, nil, `kind: "forum" is not one of the allowed values`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := llmServer(t, func(w http.ResponseWriter, _ *http.Request, req map[string]any) {
				msgs := req["messages"].([]any)
				if !strings.Contains(fmt.Sprint(msgs[len(msgs)-1]), "# Acme") || req["model"] != "tiny" {
					http.Error(w, "unexpected prompt", http.StatusBadRequest)
					return
				}
				json.NewEncoder(w).Encode(completion(tt.content))
			})
			got, err := newTestLLM(t, srv, 5*time.Second).Extract(t.Context(), "# Acme\n\nWidgets", json.RawMessage(productRules))
			if tt.err != "" {
				if !errors.Is(err, ErrLLM) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an ErrLLM saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLLMTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := llmServer(t, func(w http.ResponseWriter, r *http.Request, _ map[string]any) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	_, err := newTestLLM(t, srv, 50*time.Millisecond).Extract(t.Context(), "page", json.RawMessage(`{"a": {"type": "string"}}`))
	if !errors.Is(err, ErrLLM) || !strings.Contains(err.Error(), "did not answer within") {
		t.Fatalf("got %v, want a timeout", err)
	}
}

func TestLLMServerError(t *testing.T) {
	t.Parallel()
	srv := llmServer(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		http.Error(w, "model not loaded", http.StatusServiceUnavailable)
	})
	_, err := newTestLLM(t, srv, time.Second).Extract(t.Context(), "page", json.RawMessage(`{"a": {"type": "string"}}`))
	if !errors.Is(err, ErrLLM) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("got %v", err)
	}
}

// TestLLMThroughGuard: without its host let through, the LLM on a private
// address is refused like any other private target.
func TestLLMThroughGuard(t *testing.T) {
	t.Parallel()
	srv := llmServer(t, func(w http.ResponseWriter, _ *http.Request, _ map[string]any) {
		json.NewEncoder(w).Encode(completion(`{"a": "x"}`))
	})
	client := egress.NewClient(egress.Options{})
	t.Cleanup(client.CloseIdleConnections)
	l, err := NewLLM(LLMConfig{URL: srv.URL + "/v1", Model: "tiny", APIKey: "sk-test", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Extract(t.Context(), "page", json.RawMessage(`{"a": {"type": "string"}}`))
	if !egress.IsBlocked(err) {
		t.Fatalf("got %v, want the egress guard's refusal", err)
	}
}

func TestNewLLMNamesTheMissingSetting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    LLMConfig
		want string
	}{
		{LLMConfig{Model: "m", Client: http.DefaultClient}, "TRAWL_LLM_URL"},
		{LLMConfig{URL: "http://h/v1", Client: http.DefaultClient}, "TRAWL_LLM_MODEL"},
	} {
		if _, err := NewLLM(tt.c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: got %v, want it to name %s", tt.c, err, tt.want)
		}
	}
}

func TestAISchema(t *testing.T) {
	t.Parallel()
	got, err := AISchema(json.RawMessage(`{"products": {"type": "list", "output": {"title": {"type": "string", "description": "name"}}}, "n": {"type": "number"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"additionalProperties":false,"properties":{"n":{"type":["number","null"]},"products":{"items":{"additionalProperties":false,"properties":{"title":{"description":"name","type":["string","null"]}},"required":["title"],"type":"object"},"type":["array","null"]}},"required":["n","products"],"type":"object"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	for raw, path := range map[string]string{
		`[]`:                                       "",
		`{"a": {"type": "date"}}`:                  ".a.type",
		`{"a": {"type": "list"}}`:                  ".a.output",
		`{"a": {"type": "list", "output": "x"}}`:   ".a.output",
		`{"a": {"type": "number", "enum": ["1"]}}`: ".a.enum",
		`{"a": {"type": "item", "output": {"b": {"type": "bad"}}}}`: ".a.output.b.type",
	} {
		if e := checkAIRules(json.RawMessage(raw)); e == nil || e.path != path {
			t.Errorf("%s: got %v, want an error at %q", raw, e, path)
		}
	}
}
