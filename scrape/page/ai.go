package page

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// aiTypes are the field types of aiExtractRules.
var aiTypes = []string{"string", "number", "boolean", "list", "item"}

// Limits of aiExtractRules and of what is sent to the model.
const (
	maxAIFields     = 100
	maxAIDepth      = 5
	maxAIInputRunes = 60000
	maxLLMAnswer    = 1 << 20
)

// aiRule is one field of aiExtractRules.
type aiRule struct {
	Type        string          `json:"type"`
	Description string          `json:"description,omitempty"`
	Enum        []string        `json:"enum,omitempty"`
	Output      json.RawMessage `json:"output,omitempty"`
}

// ruleErr is a problem in aiExtractRules at path (".products.output.title").
type ruleErr struct{ path, msg string }

func (e *ruleErr) Error() string { return e.path + ": " + e.msg }

// checkAIRules validates an aiExtractRules object.
func checkAIRules(raw json.RawMessage) *ruleErr {
	_, err := aiSchema(raw, "", 0)
	return err
}

// AISchema returns the JSON Schema an answer to aiExtractRules must follow:
// an object with every rule's key, each value of its type or null.
func AISchema(raw json.RawMessage) (map[string]any, error) {
	s, err := aiSchema(raw, "", 0)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func aiSchema(raw json.RawMessage, path string, depth int) (map[string]any, *ruleErr) {
	if depth > maxAIDepth {
		return nil, &ruleErr{path, fmt.Sprintf("nests deeper than %d levels", maxAIDepth)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || len(fields) == 0 {
		return nil, &ruleErr{path, `must be an object of "name": {"type": "string|number|boolean|list|item", "description": "…"}`}
	}
	if len(fields) > maxAIFields {
		return nil, &ruleErr{path, fmt.Sprintf("must hold at most %d fields", maxAIFields)}
	}
	props := map[string]any{}
	var required []string
	for name, fraw := range fields {
		p := path + "." + name
		var r aiRule
		if err := json.Unmarshal(fraw, &r); err != nil {
			return nil, &ruleErr{p, `must be an object with "type" (string, number, boolean, list or item)`}
		}
		if !slices.Contains(aiTypes, r.Type) {
			return nil, &ruleErr{p + ".type", fmt.Sprintf("unknown type %q; allowed: %s", r.Type, strings.Join(aiTypes, ", "))}
		}
		var s map[string]any
		switch r.Type {
		case "string", "number", "boolean":
			s = map[string]any{"type": []string{r.Type, "null"}}
			if len(r.Enum) > 0 {
				if r.Type != "string" {
					return nil, &ruleErr{p + ".enum", "is only for type string"}
				}
				s["enum"] = append(slices.Clone(anySlice(r.Enum)), nil)
			}
		case "list":
			items, err := outputSchema(r.Output, p+".output", depth, true)
			if err != nil {
				return nil, err
			}
			s = map[string]any{"type": []string{"array", "null"}, "items": items}
		case "item":
			items, err := outputSchema(r.Output, p+".output", depth, false)
			if err != nil {
				return nil, err
			}
			items["type"] = []string{"object", "null"}
			s = items
		}
		if r.Description != "" {
			s["description"] = r.Description
		}
		props[name] = s
		required = append(required, name)
	}
	slices.Sort(required)
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}, nil
}

// outputSchema reads a list's or item's output: a type name (lists only)
// or a nested field map.
func outputSchema(raw json.RawMessage, path string, depth int, typeName bool) (map[string]any, *ruleErr) {
	var name string
	if typeName && json.Unmarshal(raw, &name) == nil {
		if !slices.Contains([]string{"string", "number", "boolean"}, name) {
			return nil, &ruleErr{path, fmt.Sprintf("unknown type %q; allowed: string, number, boolean or an object of fields", name)}
		}
		return map[string]any{"type": name}, nil
	}
	if len(raw) == 0 {
		return nil, &ruleErr{path, "is required: an object of fields" + map[bool]string{true: " or a type name", false: ""}[typeName]}
	}
	return aiSchema(raw, path, depth+1)
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// conform checks v against a schema built by aiSchema, filling absent keys
// of objects with null. It returns an error naming the first mismatch.
func conform(v any, schema map[string]any, path string) (any, error) {
	types := schemaTypes(schema["type"])
	if v == nil {
		if slices.Contains(types, "null") || path == "" {
			if path == "" {
				return nil, errors.New("the answer is null, not an object")
			}
			return nil, nil
		}
		return nil, fmt.Errorf("%s: null where %s is wanted", pathOr(path), types[0])
	}
	switch x := v.(type) {
	case map[string]any:
		if !slices.Contains(types, "object") {
			break
		}
		props, _ := schema["properties"].(map[string]any)
		out := make(map[string]any, len(props))
		for name, ps := range props {
			got, err := conform(x[name], ps.(map[string]any), path+"."+name)
			if err != nil {
				return nil, err
			}
			out[name] = got
		}
		return out, nil
	case []any:
		if !slices.Contains(types, "array") {
			break
		}
		items := schema["items"].(map[string]any)
		out := make([]any, 0, len(x))
		for i, it := range x {
			got, err := conform(it, items, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out = append(out, got)
		}
		return out, nil
	case string:
		if !slices.Contains(types, "string") {
			break
		}
		if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, any(x)) {
			return nil, fmt.Errorf("%s: %q is not one of the allowed values", pathOr(path), x)
		}
		return x, nil
	case float64:
		if slices.Contains(types, "number") {
			return x, nil
		}
	case bool:
		if slices.Contains(types, "boolean") {
			return x, nil
		}
	}
	return nil, fmt.Errorf("%s: got %T where %s is wanted", pathOr(path), v, types[0])
}

func schemaTypes(t any) []string {
	switch x := t.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

func pathOr(p string) string {
	if p == "" {
		return "the answer"
	}
	return strings.TrimPrefix(p, ".")
}

// nullAnswer is the aiResponse with every top-level field null.
func nullAnswer(raw json.RawMessage) map[string]any {
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	out := make(map[string]any, len(fields))
	for k := range fields {
		out[k] = nil
	}
	return out
}

// LLMConfig says how to reach an OpenAI-compatible chat completions API
// (OpenAI, Ollama, llama.cpp's server, vLLM…).
type LLMConfig struct {
	// URL is the API's base URL ("http://127.0.0.1:11434/v1"); requests go
	// to URL + "/chat/completions" unless URL already ends so.
	URL string
	// Model is the model name sent with every request.
	Model string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// Client sends the requests; it must be the egress-guarded client, with
	// the LLM's host let through by name when it is private.
	Client *http.Client
	// Timeout bounds one extraction; default 60s.
	Timeout time.Duration
}

// LLM extracts structured data from a page's Markdown with a language
// model. It is safe for concurrent use.
type LLM struct{ c LLMConfig }

// NewLLM returns an LLM, or an error naming the missing setting.
func NewLLM(c LLMConfig) (*LLM, error) {
	switch {
	case c.URL == "":
		return nil, errors.New("TRAWL_LLM_URL is not set")
	case c.Model == "":
		return nil, errors.New("TRAWL_LLM_MODEL is not set")
	case c.Client == nil:
		return nil, errors.New("page: LLMConfig.Client is required")
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if !strings.HasSuffix(c.URL, "/chat/completions") {
		c.URL += "/chat/completions"
	}
	return &LLM{c: c}, nil
}

// ErrLLM marks a failed extraction: the model could not be reached, timed
// out, or answered something that is not JSON following the schema.
var ErrLLM = errors.New("ai extraction failed")

// Extract sends markdown and the JSON Schema built from rules (an
// aiExtractRules object) to the model and returns its answer, checked
// against the schema (absent fields become null). Errors wrap ErrLLM.
func (l *LLM) Extract(ctx context.Context, markdown string, rules json.RawMessage) (map[string]any, error) {
	schema, err := AISchema(rules)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLLM, err)
	}
	if r := []rune(markdown); len(r) > maxAIInputRunes {
		markdown = string(r[:maxAIInputRunes])
	}
	schemaJSON, _ := json.Marshal(schema)
	body, _ := json.Marshal(map[string]any{
		"model":       l.c.Model,
		"temperature": 0,
		"messages": []map[string]string{
			{"role": "system", "content": "You extract data from a web page. Answer with one JSON object that follows this JSON Schema, " +
				"and nothing else. Use null for anything the page does not say.\n" + string(schemaJSON)},
			{"role": "user", "content": markdown},
		},
		"response_format": map[string]any{"type": "json_schema",
			"json_schema": map[string]any{"name": "extraction", "schema": schema, "strict": true}},
	})
	ctx, cancel := context.WithTimeout(ctx, l.c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrLLM, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if l.c.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+l.c.APIKey)
	}
	resp, err := l.c.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: the model did not answer within %v", ErrLLM, l.c.Timeout)
		}
		return nil, fmt.Errorf("%w: %w", ErrLLM, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxLLMAnswer))
	if err != nil {
		return nil, fmt.Errorf("%w: read the answer: %v", ErrLLM, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: the model's server answered HTTP %d", ErrLLM, resp.StatusCode)
	}
	var completion struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &completion); err != nil || len(completion.Choices) == 0 {
		return nil, fmt.Errorf("%w: the model's server did not answer a chat completion", ErrLLM)
	}
	content := strings.TrimSpace(completion.Choices[0].Message.Content)
	// Some models wrap JSON in a Markdown code fence despite being asked not to.
	content = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(content, "```json"), "```"), "```")
	var answer any
	if err := json.Unmarshal([]byte(content), &answer); err != nil {
		return nil, fmt.Errorf("%w: the model's answer is not JSON", ErrLLM)
	}
	got, err := conform(answer, schema, "")
	if err != nil {
		return nil, fmt.Errorf("%w: the model's answer does not follow the schema: %v", ErrLLM, err)
	}
	return got.(map[string]any), nil
}
