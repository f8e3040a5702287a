package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"pgregory.net/rapid"
)

// TestConformance generates requests from the OpenAPI description the
// server serves (every path and method in it, so endpoints added later are
// covered without changing this test) and checks each answer against it:
//
//   - the status is one the operation documents;
//   - a request the description allows (parameters and body valid against
//     their schemas, a key where one is needed) is not refused as invalid
//     (400, 422), and one it does not allow is refused with a 4xx;
//   - the Content-Type is one documented for that status, and a JSON body
//     validates against the documented schema.
//
// Validity is decided by a JSON Schema validator independent of the
// server's own code, on what was actually sent.
func TestConformance(t *testing.T) {
	t.Parallel()
	web := newSite(t, 3, false)
	hook := httptest.NewServer(&receiver{})
	t.Cleanup(hook.Close)
	env := testEnv(map[string]string{
		"TRAWL_DATA_DIR":         t.TempDir(),
		"TRAWL_GOOGLE_MAPS_URL":  web.URL,
		"TRAWL_SHUTDOWN_TIMEOUT": "2s",
	})
	in := start(t, env)
	c := newContract(t, in)
	c.pools["uri"] = []string{web.URL + "/", web.URL + "/p1", hook.URL + "/hook", "https://example.invalid/x"}

	// Jobs to address by id.
	for range 2 {
		var rec jobRecord
		in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":[%q],"maxDepth":0}`, web.URL+"/"), &rec)
		c.ids = append(c.ids, rec.ID)
	}

	var mismatches []string
	rapid.Check(t, func(rt *rapid.T) {
		for range 8 {
			if m := c.exchange(rt); m != "" {
				mismatches = append(mismatches, m)
				rt.Fatal(m)
			}
		}
	})
	if len(mismatches) > 0 {
		t.Errorf("%d mismatches between the description and the server", len(mismatches))
	}
	for _, op := range slices.Sorted(maps.Keys(c.seen)) {
		t.Logf("%-70s %d requests", op, c.seen[op])
	}
}

// contract holds the served description and what the generators need.
type contract struct {
	mutate bool // this request aims at being invalid: values break, edges are tried
	t      *testing.T
	in     *instance
	doc    map[string]any
	ops    []operation
	comp   *jsonschema.Compiler
	mu     sync.Mutex
	cache  map[string]*jsonschema.Schema
	pools  map[string][]string // strings to try, by format
	ids    []int64
	seen   map[string]int
	client *http.Client
}

type operation struct {
	method, path string
	ptr          string // JSON pointer of the operation in the document
	op           map[string]any
}

func newContract(t *testing.T, in *instance) *contract {
	t.Helper()
	resp, err := in.client.Get(in.base + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c := &contract{t: t, in: in, cache: map[string]*jsonschema.Schema{}, pools: map[string][]string{}, seen: map[string]int{},
		client: &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if err := json.Unmarshal(raw, &c.doc); err != nil {
		t.Fatal(err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c.comp = jsonschema.NewCompiler()
	c.comp.DefaultDraft(jsonschema.Draft2020)
	c.comp.AssertFormat()
	if err := c.comp.AddResource("mem:///openapi.json", parsed); err != nil {
		t.Fatal(err)
	}
	paths, _ := c.doc["paths"].(map[string]any)
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range paths {
			if !yield(p) {
				return
			}
		}
	}) {
		item, _ := paths[p].(map[string]any)
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			if op, ok := item[m].(map[string]any); ok {
				c.ops = append(c.ops, operation{method: strings.ToUpper(m), path: p, op: op,
					ptr: "/paths/" + escapePtr(p) + "/" + m})
			}
		}
	}
	if len(c.ops) == 0 {
		t.Fatal("the description has no operations")
	}
	return c
}

func escapePtr(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schema compiles the schema at ptr in the document, once.
func (c *contract) schema(ptr string) *jsonschema.Schema {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.cache[ptr]; ok {
		return s
	}
	s, err := c.comp.Compile("mem:///openapi.json#" + ptr)
	if err != nil {
		c.t.Fatalf("compile %s: %v", ptr, err)
	}
	c.cache[ptr] = s
	return s
}

// valid validates v (a value decoded from JSON) against the schema at ptr.
func (c *contract) valid(ptr string, v any) error {
	return c.schema(ptr).Validate(v)
}

// resolve follows $ref.
func (c *contract) resolve(s map[string]any) map[string]any {
	for range 10 {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = c.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
			m, _ := cur.(map[string]any)
			cur = m[part]
		}
		s, _ = cur.(map[string]any)
	}
	return s
}

// exchange sends one generated request and returns what is wrong with the
// answer, or "".
func (c *contract) exchange(t *rapid.T) string {
	o := c.ops[rapid.IntRange(0, len(c.ops)-1).Draw(t, "operation")]
	c.mutate = rapid.IntRange(0, 2).Draw(t, "aim at invalid") == 0
	t.Logf("operation: %s %s", o.method, o.path)
	secured := true
	if sec, ok := o.op["security"].([]any); ok && len(sec) == 0 {
		secured = false
	}
	allowed := true
	why := []string{}

	// Parameters.
	target := o.path
	query := url.Values{}
	params, _ := o.op["parameters"].([]any)
	for i, p := range params {
		param := c.resolve(p.(map[string]any))
		name, _ := param["name"].(string)
		where, _ := param["in"].(string)
		required, _ := param["required"].(bool)
		ptr := o.ptr + "/parameters/" + strconv.Itoa(i) + "/schema"
		if where == "query" && !required && rapid.Bool().Draw(t, "omit "+name) {
			continue
		}
		schema, _ := param["schema"].(map[string]any)
		text := c.paramText(t, name, c.resolve(schema))
		if where == "query" && text == "" {
			// An empty query value is the parameter left out (its default),
			// as net/http and most clients read it.
			query.Set(name, text)
			continue
		}
		if err := c.valid(ptr, paramValue(text, c.resolve(schema))); err != nil {
			allowed = false
			why = append(why, fmt.Sprintf("%s %s=%q is invalid", where, name, text))
		}
		switch where {
		case "path":
			target = strings.ReplaceAll(target, "{"+name+"}", url.PathEscape(text))
		case "query":
			query.Set(name, text)
		}
	}
	if target != o.path {
		if _, concrete := c.doc["paths"].(map[string]any)[target]; concrete {
			// A concrete path matches before a templated one (OpenAPI
			// path matching): this request is the concrete operation's,
			// which has draws of its own.
			return ""
		}
	}
	if len(query) > 0 {
		target += "?" + query.Encode()
	}

	// Body.
	var body []byte
	if rb, ok := o.op["requestBody"].(map[string]any); ok {
		content, _ := rb["content"].(map[string]any)
		if mt, ok := content["application/json"].(map[string]any); ok {
			schema, _ := mt["schema"].(map[string]any)
			v := c.value(t, schema, 0, "body")
			body, _ = json.Marshal(v)
			var decoded any
			_ = json.Unmarshal(body, &decoded)
			if err := c.valid(o.ptr+"/requestBody/content/application~1json/schema", decoded); err != nil {
				allowed = false
				why = append(why, "body is invalid: "+firstLine(err.Error()))
			}
		}
	}

	// Credentials.
	key := c.in.key
	if secured {
		switch rapid.IntRange(0, 29).Draw(t, "credentials") {
		case 0:
			key = ""
			allowed = false
			why = append(why, "no key")
		case 1:
			key = "trawl_wrong_Zq8vN3pLw5Kx2RtY7mHc4Jf9Bd6Gs1A"
			allowed = false
			why = append(why, "wrong key")
		}
	}

	req, err := http.NewRequest(o.method, c.in.base+target, bytes.NewReader(body))
	if err != nil {
		return ""
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Sprintf("%s %s: %v", o.method, target, err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	c.mu.Lock()
	c.seen[fmt.Sprintf("%s %s allowed=%v %d", o.method, o.path, allowed, resp.StatusCode)]++

	c.mu.Unlock()

	where := fmt.Sprintf("%s %s (body %.300s; %s) answered %d %.300s", o.method, target, body, strings.Join(why, "; "), resp.StatusCode, got)
	status := strconv.Itoa(resp.StatusCode)
	responses, _ := o.op["responses"].(map[string]any)
	docStatus := status
	if _, ok := responses[status]; !ok {
		docStatus = status[:1] + "XX"
		if _, ok := responses[docStatus]; !ok {
			docStatus = "default"
			if _, ok := responses[docStatus]; !ok {
				return "undocumented status: " + where
			}
		}
	}
	switch {
	case allowed && (resp.StatusCode == 400 || resp.StatusCode == 422 || resp.StatusCode >= 500):
		return "a request the description allows was refused: " + where
	case !allowed && (resp.StatusCode < 400 || resp.StatusCode >= 500):
		return "a request the description does not allow was accepted: " + where
	case !secured && resp.StatusCode == 401:
		return "a public operation asked for a key: " + where
	}

	// Content type and body.
	response := c.resolve(responses[docStatus].(map[string]any))
	content, _ := response["content"].(map[string]any)
	if len(content) == 0 {
		if len(got) > 0 {
			return "a body where none is documented: " + where
		}
		return ""
	}
	mediaType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		return "no valid Content-Type: " + where
	}
	documented := ""
	for k := range content {
		if mt, _, err := mime.ParseMediaType(k); err == nil && mt == mediaType {
			documented = k
		}
	}
	if documented == "" {
		return fmt.Sprintf("Content-Type %s is not documented (%v): %s", mediaType, keys(content), where)
	}
	if mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
		if err != nil {
			return "a body that is not JSON: " + where
		}
		ptr := o.ptr + "/responses/" + docStatus
		if ref, ok := responses[docStatus].(map[string]any)["$ref"].(string); ok {
			ptr = strings.TrimPrefix(ref, "#")
		}
		if err := c.valid(ptr+"/content/"+escapePtr(documented)+"/schema", inst); err != nil {
			return "the body does not match the schema: " + firstLine(err.Error()) + ": " + where
		}
	}
	return ""
}

func keys(m map[string]any) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

func firstLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}

// paramValue reads a parameter's text as the type its schema names, so that
// "5" validates as the integer it is sent as and "abc" does not.
func paramValue(text string, schema map[string]any) any {
	switch schema["type"] {
	case "integer", "number":
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(n, 10))
		}
		if f, err := strconv.ParseFloat(text, 64); err == nil && !strings.ContainsAny(text, "xXnN") {
			return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
		}
	case "boolean":
		if b, err := strconv.ParseBool(text); err == nil {
			return b
		}
	}
	return text
}

// paramText generates a parameter's text: usually a value its schema allows
// (an existing job for an id), sometimes not.
func (c *contract) paramText(t *rapid.T, name string, schema map[string]any) string {
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 && rapid.IntRange(0, 9).Draw(t, name+" from enum") > 0 {
		return fmt.Sprint(rapid.SampledFrom(enum).Draw(t, name))
	}
	switch schema["type"] {
	case "integer", "number":
		if strings.EqualFold(name, "id") && len(c.ids) > 0 && rapid.Bool().Draw(t, name+" known") {
			return strconv.FormatInt(rapid.SampledFrom(c.ids).Draw(t, name), 10)
		}
		return rapid.SampledFrom([]string{"0", "1", "2", "3", "5", "20", "99", "100", "101", "-1", "999999999999", "abc", "1.5", ""}).Draw(t, name)
	default:
		return rapid.SampledFrom([]string{"x", "abc", "a.csv", "0", "crawler", "results.json", "tok.en"}).Draw(t, name)
	}
}

// value generates a JSON value for schema: usually valid, sometimes not;
// the validator, not the generator, decides which it is.
func (c *contract) value(t *rapid.T, schema map[string]any, depth int, label string) any {
	s := c.resolve(schema)
	if depth > 6 {
		return nil
	}
	if c.mutate && rapid.IntRange(0, 19).Draw(t, label+" break") == 0 {
		return rapid.SampledFrom([]any{nil, "x", 7, true, []any{}, map[string]any{}}).Draw(t, label+" wrong")
	}
	if all, ok := s["allOf"].([]any); ok {
		merged := map[string]any{"type": "object", "properties": map[string]any{}}
		var required []any
		for _, sub := range all {
			m := c.constraints(t, c.resolve(sub.(map[string]any)), label)
			if props, ok := m["properties"].(map[string]any); ok {
				for k, v := range props {
					merged["properties"].(map[string]any)[k] = v
				}
			}
			required = append(required, anyList(m["required"])...)
		}
		merged["required"] = required
		s = merged
	}
	s = c.constraints(t, s, label)
	for _, k := range []string{"anyOf", "oneOf"} {
		if alt, ok := s[k].([]any); ok && len(alt) > 0 {
			if _, typed := s["type"]; !typed {
				return c.value(t, rapid.SampledFrom(alt).Draw(t, label+" "+k).(map[string]any), depth+1, label)
			}
		}
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return rapid.SampledFrom(enum).Draw(t, label)
	}
	typ := s["type"]
	if list, ok := typ.([]any); ok && len(list) > 0 {
		typ = rapid.SampledFrom(list).Draw(t, label+" type")
	}
	if typ == nil {
		if _, ok := s["properties"]; ok {
			typ = "object"
		}
	}
	num := func(k string, def float64) float64 {
		if v, ok := s[k].(float64); ok {
			return v
		}
		return def
	}
	switch typ {
	case "null":
		return nil
	case "boolean":
		return rapid.Bool().Draw(t, label)
	case "integer", "number":
		lo, hi := num("minimum", -3), num("maximum", 1000)
		hi = min(hi, lo+200)
		picks := []int64{int64(lo), int64(lo) + 1, int64(hi), int64(lo) - 1, int64(hi) + 1}
		if c.mutate && rapid.IntRange(0, 4).Draw(t, label+" edge") == 0 {
			return rapid.SampledFrom(picks).Draw(t, label)
		}
		return rapid.Int64Range(int64(lo), max(int64(lo), min(int64(hi), int64(lo)+5))).Draw(t, label)
	case "string":
		var pool []string
		if f, ok := s["format"].(string); ok {
			pool = append(pool, c.pools[f]...)
		}
		if d, ok := s["default"].(string); ok {
			pool = append(pool, d)
		}
		for _, e := range anyList(s["examples"]) {
			if str, ok := e.(string); ok {
				pool = append(pool, str)
			}
		}
		if len(pool) == 0 {
			pool = []string{"dentist", "Chicago, IL", "en", "de", "@40.7455,-74.0083,14z", "Bearer abc", "/blog/.*"}
		}
		if c.mutate && rapid.IntRange(0, 5).Draw(t, label+" odd") == 0 {
			pool = []string{"", "ftp://x/", "http://", "(", "a\nb", strings.Repeat("a", 5000)}
		}
		return rapid.SampledFrom(pool).Draw(t, label)
	case "array":
		lo := int(num("minItems", 0))
		hi := min(int(num("maxItems", 4)), lo+3)
		n := rapid.IntRange(lo, max(lo, hi)).Draw(t, label+" len")
		if c.mutate && rapid.IntRange(0, 9).Draw(t, label+" len edge") == 0 {
			n = rapid.SampledFrom([]int{max(0, lo-1), int(num("maxItems", 4)) + 1}).Draw(t, label+" len")
			n = min(n, 120)
		}
		items, _ := s["items"].(map[string]any)
		out := make([]any, 0, n)
		for i := range n {
			out = append(out, c.value(t, items, depth+1, fmt.Sprintf("%s[%d]", label, i)))
		}
		return out
	case "object":
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		required := anyList(s["required"])
		for _, name := range keys(props) {
			p, _ := props[name].(map[string]any)
			if slices.Contains(required, any(name)) {
				if c.mutate && rapid.IntRange(0, 9).Draw(t, label+"."+name+" drop") == 0 {
					continue
				}
			} else if !rapid.Bool().Draw(t, label+"."+name+" present") {
				continue
			}
			out[name] = c.value(t, p, depth+1, label+"."+name)
		}
		if add, ok := s["additionalProperties"].(map[string]any); ok {
			for i := range rapid.IntRange(0, 2).Draw(t, label+" extra") {
				names := []string{"Authorization", "X-Token", "X-" + strconv.Itoa(i)}
				if c.mutate {
					names = append(names, "content-type", "Webhook-Id", "Bad Name")
				}
				name := rapid.SampledFrom(names).Draw(t, label+" name")
				out[name] = c.value(t, add, depth+1, label+"."+name)
			}
		} else if rapid.IntRange(0, 4).Draw(t, label+" unknown") == 0 {
			out["unknownField"] = "x"
		}
		return out
	}
	return "x"
}

// constraints folds into an object schema the anyOf/oneOf branches that
// only add required fields (one of keywords or categories): one branch is
// picked and its required fields become the object's.
func (c *contract) constraints(t *rapid.T, s map[string]any, label string) map[string]any {
	if _, ok := s["properties"]; !ok {
		return s
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		alt, ok := s[k].([]any)
		if !ok || len(alt) == 0 {
			continue
		}
		pick, _ := rapid.SampledFrom(alt).Draw(t, label+" "+k).(map[string]any)
		out := map[string]any{}
		for key, v := range s {
			if key != k {
				out[key] = v
			}
		}
		out["required"] = append(slices.Clone(anyList(s["required"])), anyList(pick["required"])...)
		s = out
	}
	return s
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}
