package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// field is one input of the new-job form, read from a property of the
// scraper's parameter schema.
type field struct {
	Name        string // the property, and the input's name after "p."
	Label       string
	Kind        string // text, number, checkbox, select, multi, lines, json
	Description string
	Required    bool
	Default     string // shown as a hint
	Min, Max    string
	Options     []option
	Value       string // what the form holds now
	Error       string
	itemType    string // the items' type of an array
}

type option struct {
	Value    string
	Selected bool
}

// property is the part of a JSON Schema property the form reads.
type property struct {
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Enum        []any           `json:"enum"`
	Default     json.RawMessage `json:"default"`
	Minimum     *float64        `json:"minimum"`
	Maximum     *float64        `json:"maximum"`
	MinItems    *int            `json:"minItems"`
	MaxItems    *int            `json:"maxItems"`
	Items       *property       `json:"items"`
	Ref         string          `json:"$ref"`
}

type schema struct {
	Required   []string            `json:"required"`
	Properties map[string]property `json:"properties"`
}

// fieldsOf lays out a scraper's parameters as form fields: required ones
// first, then the rest by name. The webhook has fields of its own.
func fieldsOf(info scrape.Info) []*field {
	raw, _ := json.Marshal(info.Params)
	var sc schema
	_ = json.Unmarshal(raw, &sc)
	names := make([]string, 0, len(sc.Properties))
	for name := range sc.Properties {
		if name != "webhook" {
			names = append(names, name)
		}
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := slices.Contains(sc.Required, names[i]), slices.Contains(sc.Required, names[j])
		if ri != rj {
			return ri
		}
		return names[i] < names[j]
	})
	var out []*field
	for _, name := range names {
		p := sc.Properties[name]
		f := &field{Name: name, Label: label(name), Description: p.Description, Required: slices.Contains(sc.Required, name)}
		if len(p.Default) > 0 && string(p.Default) != "null" {
			f.Default = defaultText(p.Default)
		}
		if p.Minimum != nil {
			f.Min = strconv.FormatFloat(*p.Minimum, 'f', -1, 64)
		}
		if p.Maximum != nil {
			f.Max = strconv.FormatFloat(*p.Maximum, 'f', -1, 64)
		}
		switch {
		case p.Type == "boolean":
			f.Kind = "checkbox"
			f.Value = "false"
			if string(p.Default) == "true" {
				f.Value = "true"
			}
		case p.Type == "integer" || p.Type == "number":
			f.Kind = "number"
		case p.Type == "string" && len(p.Enum) > 0:
			f.Kind = "select"
			for _, e := range p.Enum {
				f.Options = append(f.Options, option{Value: fmt.Sprint(e), Selected: fmt.Sprint(e) == f.Default})
			}
		case p.Type == "string":
			f.Kind = "text"
		case p.Type == "array" && p.Items != nil && p.Items.Type == "string" && len(p.Items.Enum) > 0:
			f.Kind = "multi"
			var defaults []string
			_ = json.Unmarshal(p.Default, &defaults)
			for _, e := range p.Items.Enum {
				v := fmt.Sprint(e)
				f.Options = append(f.Options, option{Value: v, Selected: slices.Contains(defaults, v)})
			}
		case p.Type == "array" && p.Items != nil && (p.Items.Type == "string" || p.Items.Type == "integer" || p.Items.Type == "number"):
			f.Kind = "lines"
			if p.MaxItems != nil {
				f.Max = strconv.Itoa(*p.MaxItems)
			}
			f.Min = ""
		default:
			f.Kind = "json"
		}
		if p.Items != nil {
			f.itemType = p.Items.Type
		}
		out = append(out, f)
	}
	return out
}

// label turns a property name into words: "maxDepth" → "Max depth",
// "urls" → "URLs".
func label(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
			r += 'a' - 'A'
		}
		if i == 0 && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	words := strings.Fields(b.String())
	acronyms := map[string]string{"url": "URL", "urls": "URLs", "id": "ID", "ids": "IDs", "txt": "TXT", "html": "HTML", "api": "API"}
	for i, w := range words {
		if a, ok := acronyms[strings.ToLower(w)]; ok {
			words[i] = a
		}
	}
	return strings.Join(words, " ")
}

func defaultText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []any
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = fmt.Sprint(v)
		}
		return strings.Join(parts, ", ")
	}
	return string(raw)
}

// webhookForm holds the webhook part of the form.
type webhookForm struct {
	URL         string
	Events      []option
	Headers     string
	MaxAttempts string
	Errors      map[string]string // by "url", "events", "headers", "maxAttempts"
}

func newWebhookForm() webhookForm {
	w := webhookForm{Errors: map[string]string{}}
	for _, e := range trawl.Events() {
		w.Events = append(w.Events, option{Value: e, Selected: e != trawl.EventDataRowsAdded})
	}
	return w
}

// readForm fills the fields from a posted form and builds the create body:
// empty inputs are left out, so the scraper's defaults apply. A value the
// form cannot read as its type (a number that is not one, JSON that does
// not parse) goes into the body as the text it is, so the API's own
// validation names the field.
func readForm(r *http.Request, fields []*field) (map[string]any, webhookForm) {
	body := map[string]any{}
	for _, f := range fields {
		key := "p." + f.Name
		switch f.Kind {
		case "checkbox":
			f.Value = strconv.FormatBool(r.PostFormValue(key) == "true")
			if f.Value != orFalse(f.Default) {
				body[f.Name] = f.Value == "true"
			}
		case "multi":
			chosen := r.PostForm[key]
			list := []string{}
			for i := range f.Options {
				f.Options[i].Selected = slices.Contains(chosen, f.Options[i].Value)
				if f.Options[i].Selected {
					list = append(list, f.Options[i].Value)
				}
			}
			if len(list) > 0 {
				body[f.Name] = list
			}
		case "select":
			f.Value = r.PostFormValue(key)
			for i := range f.Options {
				f.Options[i].Selected = f.Options[i].Value == f.Value
			}
			if f.Value != "" {
				body[f.Name] = f.Value
			}
		default:
			f.Value = strings.TrimSpace(r.PostFormValue(key))
			if f.Value == "" {
				continue
			}
			body[f.Name] = typed(f, f.Value)
		}
	}
	wh := newWebhookForm()
	wh.URL = strings.TrimSpace(r.PostFormValue("webhook.url"))
	wh.Headers = strings.TrimSpace(r.PostFormValue("webhook.headers"))
	wh.MaxAttempts = strings.TrimSpace(r.PostFormValue("webhook.maxAttempts"))
	events := r.PostForm["webhook.events"]
	for i := range wh.Events {
		wh.Events[i].Selected = slices.Contains(events, wh.Events[i].Value)
	}
	if wh.URL != "" || wh.Headers != "" || wh.MaxAttempts != "" {
		hook := map[string]any{"url": wh.URL}
		if len(events) > 0 && !sameEvents(events) {
			hook["events"] = events
		}
		if wh.Headers != "" {
			headers := map[string]string{}
			for _, line := range strings.Split(wh.Headers, "\n") {
				name, value, _ := strings.Cut(line, ":")
				if name = strings.TrimSpace(name); name != "" {
					headers[name] = strings.TrimSpace(value)
				}
			}
			hook["headers"] = headers
		}
		if wh.MaxAttempts != "" {
			if n, err := strconv.Atoi(wh.MaxAttempts); err == nil {
				hook["maxAttempts"] = n
			} else {
				hook["maxAttempts"] = wh.MaxAttempts
			}
		}
		body["webhook"] = hook
	}
	return body, wh
}

// sameEvents reports whether the chosen events are the default set (all
// but the older alias), which the body can leave out.
func sameEvents(events []string) bool {
	want := slices.DeleteFunc(trawl.Events(), func(e string) bool { return e == trawl.EventDataRowsAdded })
	got := slices.Clone(events)
	slices.Sort(got)
	slices.Sort(want)
	return slices.Equal(got, want)
}

func orFalse(s string) string {
	if s == "true" {
		return "true"
	}
	return "false"
}

// typed reads v as the field's type, or returns it as text when it is not.
func typed(f *field, v string) any {
	switch f.Kind {
	case "number":
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
		if x, err := strconv.ParseFloat(v, 64); err == nil {
			return x
		}
		return v
	case "lines":
		list := []any{}
		for _, line := range strings.Split(v, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				list = append(list, typed(&field{Kind: itemKind(f.itemType)}, line))
			}
		}
		return list
	case "json":
		var x any
		if json.Unmarshal([]byte(v), &x) == nil {
			return x
		}
		return v
	}
	return v
}

func itemKind(t string) string {
	if t == "integer" || t == "number" {
		return "number"
	}
	return "text"
}

// placeErrors puts each of the API's field errors next to its field (by
// the name before the first "." or "["), and returns those that fit none.
func placeErrors(fields []*field, wh *webhookForm, errs []trawl.FieldError) []string {
	var rest []string
	for _, fe := range errs {
		name := fe.Field
		if i := strings.IndexAny(name, ".["); i >= 0 {
			name = name[:i]
		}
		if name == "webhook" {
			sub := strings.TrimPrefix(fe.Field, "webhook.")
			if i := strings.IndexAny(sub, ".["); i >= 0 {
				sub = sub[:i]
			}
			switch sub {
			case "url", "events", "headers", "maxAttempts":
				wh.Errors[sub] = joinError(wh.Errors[sub], fe)
				continue
			}
		}
		placed := false
		for _, f := range fields {
			if f.Name == name {
				f.Error = joinError(f.Error, fe)
				placed = true
			}
		}
		if !placed {
			rest = append(rest, fe.Field+": "+fe.Message)
		}
	}
	return rest
}

func joinError(prev string, fe trawl.FieldError) string {
	msg := fe.Field + " " + fe.Message
	if prev == "" {
		return msg
	}
	return prev + "; " + msg
}

// curlCommand is the API call the form makes, for a terminal.
func curlCommand(publicURL, slug string, body []byte) string {
	base := publicURL
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	return "curl -X POST " + shellQuote(base+"/scrapers/"+url.PathEscape(slug)+"/jobs") + ` \` + "\n" +
		`  -H "x-api-key: $TRAWL_API_KEY" -H 'Content-Type: application/json' \` + "\n" +
		"  -d " + shellQuote(string(body))
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
