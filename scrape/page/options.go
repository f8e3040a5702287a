package page

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	"github.com/andybalholm/cascadia"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Output formats a page can be returned in.
const (
	FormatHTML     = "html"
	FormatText     = "text"
	FormatMarkdown = "markdown"
	FormatJSON     = "json"
)

// FormatNames lists every output format, in the order of the schema's enum.
func FormatNames() []string { return []string{FormatHTML, FormatText, FormatMarkdown, FormatJSON} }

// Proxy types and countries a request may ask for.
var (
	proxyTypes     = []string{"datacenter", "residential"}
	proxyCountries = []string{"US", "UK", "DE", "IE", "FR", "IT", "SE", "BR", "CA", "JP", "SG", "IN", "ID"}
)

// Limits of the page options.
const (
	maxSelectors    = 50
	maxRules        = 50
	maxHeaders      = 50
	maxScenarioStep = 50
	maxBlockURLs    = 100
)

// Options are the page options of POST /scrape/web and of every crawler
// job, decoded and validated by ParseOptions. They are stored with a job as
// JSON, so every field survives a round trip.
type Options struct {
	// OutputFormat lists the formats asked for, without repeats, in the
	// order given; empty means the caller's default.
	OutputFormat []string `json:"outputFormat,omitempty"`
	// ExtractRules maps a result key to "css selector" or "css selector
	// @attribute"; see Extract rules in Result.ExtractedData.
	ExtractRules map[string]string `json:"extractRules,omitempty"`
	// AIExtractRules is the aiExtractRules object as sent, validated.
	AIExtractRules json.RawMessage `json:"aiExtractRules,omitempty"`
	// ExcludeTags are CSS selectors of elements removed before the page is
	// serialised; IncludeOnlyTags, when set, keep only the matching elements.
	ExcludeTags     []string `json:"excludeTags,omitempty"`
	IncludeOnlyTags []string `json:"includeOnlyTags,omitempty"`
	// RemoveBase64Images drops images inlined as data: URLs.
	RemoveBase64Images bool `json:"removeBase64Images,omitempty"`
	// ExtractEmails and ExtractLinks add the page's emails and links.
	ExtractEmails bool `json:"extractEmails,omitempty"`
	ExtractLinks  bool `json:"extractLinks,omitempty"`
	// Headers are sent to the target with the page request.
	Headers map[string]string `json:"headers,omitempty"`
	// The rendering options, honoured by a Renderer.
	JSRendering    bool     `json:"jsRendering,omitempty"`
	Wait           int      `json:"wait,omitempty"` // milliseconds
	WaitFor        string   `json:"waitFor,omitempty"`
	JSScenario     []Action `json:"jsScenario,omitempty"`
	Screenshot     bool     `json:"screenshot,omitempty"`
	BlockResources bool     `json:"blockResources,omitempty"`
	BlockAds       bool     `json:"blockAds,omitempty"`
	BlockURLs      []string `json:"blockUrls,omitempty"`
	// ProxyType and ProxyCountry choose a labelled proxy pool.
	ProxyType    string `json:"proxyType,omitempty"`
	ProxyCountry string `json:"proxyCountry,omitempty"`
}

// Wants reports whether format f was asked for.
func (o *Options) Wants(f string) bool { return slices.Contains(o.OutputFormat, f) }

// optionFields are the body fields ParseOptions reads, with the kind of
// value each takes (for FromQuery).
var optionFields = map[string]fieldKind{
	"outputFormat": kindList, "extractRules": kindObject, "aiExtractRules": kindObject,
	"excludeTags": kindList, "includeOnlyTags": kindList, "removeBase64Images": kindBool,
	"extractEmails": kindBool, "extractLinks": kindBool, "headers": kindObject,
	"jsRendering": kindBool, "wait": kindInt, "waitFor": kindString, "jsScenario": kindObject,
	"screenshot": kindBool, "blockResources": kindBool, "blockAds": kindBool, "blockUrls": kindList,
	"proxyType": kindString, "proxyCountry": kindString,
}

// OptionNames lists the body fields of the page options.
func OptionNames() []string {
	names := make([]string, 0, len(optionFields))
	for k := range optionFields {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// ParseOptions reads the page options from body, a JSON object (other fields
// are ignored), starting from defaults. Each problem is added to v against
// its field ("excludeTags[1]", "extractRules.price"); the returned Options
// are only meaningful when v holds no error. A body that is not a JSON
// object is reported against "body".
func ParseOptions(v *trawl.Invalid, body []byte, defaults Options) Options {
	o := defaults
	var in map[string]json.RawMessage
	if err := json.Unmarshal(body, &in); err != nil {
		v.Add("body", "must be a JSON object")
		return o
	}
	get := func(name string) (json.RawMessage, bool) {
		raw, ok := in[name]
		return raw, ok && scrape.Present(raw)
	}
	if raw, ok := get("outputFormat"); ok {
		o.OutputFormat = outputFormats(v, raw)
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{
		{"removeBase64Images", &o.RemoveBase64Images}, {"extractEmails", &o.ExtractEmails},
		{"extractLinks", &o.ExtractLinks}, {"jsRendering", &o.JSRendering}, {"screenshot", &o.Screenshot},
		{"blockResources", &o.BlockResources}, {"blockAds", &o.BlockAds},
	} {
		if raw, ok := get(b.name); ok {
			if err := json.Unmarshal(raw, b.dst); err != nil {
				v.Add(b.name, "must be true or false")
			}
		}
	}
	if raw, ok := get("extractRules"); ok {
		o.ExtractRules = extractRules(v, raw)
	}
	if raw, ok := get("aiExtractRules"); ok {
		if err := checkAIRules(raw); err != nil {
			v.Add("aiExtractRules"+err.path, "%s", err.msg)
		} else {
			o.AIExtractRules = compact(raw)
		}
	}
	if raw, ok := get("excludeTags"); ok {
		o.ExcludeTags = selectors(v, "excludeTags", raw)
	}
	if raw, ok := get("includeOnlyTags"); ok {
		o.IncludeOnlyTags = selectors(v, "includeOnlyTags", raw)
	}
	if raw, ok := get("headers"); ok {
		o.Headers = headers(v, raw)
	}
	if raw, ok := get("wait"); ok {
		if n, err := scrape.StrictInt(raw); err != nil || n < 0 || n > int(MaxWait.Milliseconds()) {
			v.Add("wait", "must be a whole number of milliseconds from 0 to %d", MaxWait.Milliseconds())
		} else {
			o.Wait = n
		}
	}
	if raw, ok := get("waitFor"); ok {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			v.Add("waitFor", "must be a CSS selector")
		} else if _, err := cascadia.ParseGroup(s); err != nil {
			v.Add("waitFor", "is not a valid CSS selector: %v", err)
		} else {
			o.WaitFor = s
		}
	}
	if raw, ok := get("jsScenario"); ok {
		o.JSScenario = scenario(v, raw)
	}
	if raw, ok := get("blockUrls"); ok {
		list, ok := oneOrList(raw)
		if !ok || len(list) > maxBlockURLs {
			v.Add("blockUrls", "must be an array of at most %d URL patterns", maxBlockURLs)
		} else {
			o.BlockURLs = list
		}
	}
	if raw, ok := get("proxyType"); ok {
		o.ProxyType = enumString(v, "proxyType", raw, proxyTypes, strings.ToLower)
	}
	if raw, ok := get("proxyCountry"); ok {
		o.ProxyCountry = enumString(v, "proxyCountry", raw, proxyCountries, strings.ToUpper)
	}
	return o
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

func outputFormats(v *trawl.Invalid, raw json.RawMessage) []string {
	list, ok := oneOrList(raw)
	if !ok {
		v.Add("outputFormat", "must be an array of formats (allowed: %s)", strings.Join(FormatNames(), ", "))
		return nil
	}
	var out []string
	for i, f := range list {
		// A comma list in one string ("text,json") is what some clients send.
		for _, part := range strings.Split(f, ",") {
			part = strings.ToLower(strings.TrimSpace(part))
			switch {
			case part == "":
			case !slices.Contains(FormatNames(), part):
				v.Add(fmt.Sprintf("outputFormat[%d]", i), "unknown format %q; allowed: %s", part, strings.Join(FormatNames(), ", "))
			case !slices.Contains(out, part):
				out = append(out, part)
			}
		}
	}
	return out
}

func extractRules(v *trawl.Invalid, raw json.RawMessage) map[string]string {
	var rules map[string]string
	if err := json.Unmarshal(raw, &rules); err != nil {
		v.Add("extractRules", `must be an object of "name": "css selector" or "css selector @attribute"`)
		return nil
	}
	if len(rules) > maxRules {
		v.Add("extractRules", "must hold at most %d rules", maxRules)
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		if _, _, err := parseRule(rules[name]); err != nil {
			v.Add("extractRules."+name, "%v", err)
		}
	}
	return rules
}

func selectors(v *trawl.Invalid, field string, raw json.RawMessage) []string {
	list, ok := oneOrList(raw)
	if !ok {
		v.Add(field, "must be an array of CSS selectors")
		return nil
	}
	if len(list) > maxSelectors {
		v.Add(field, "must hold at most %d selectors", maxSelectors)
		return nil
	}
	var out []string
	for i, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, err := cascadia.ParseGroup(s); err != nil {
			v.Add(fmt.Sprintf("%s[%d]", field, i), "is not a valid CSS selector: %v", err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// hopHeaders are request headers a caller may not forward: they belong to
// the connection trawl makes, not to the page.
var hopHeaders = []string{"Host", "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
	"Proxy-Authenticate", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length"}

func headers(v *trawl.Invalid, raw json.RawMessage) map[string]string {
	var in map[string]string
	if err := json.Unmarshal(raw, &in); err != nil {
		v.Add("headers", "must be an object of header names to string values")
		return nil
	}
	if len(in) > maxHeaders {
		v.Add("headers", "must hold at most %d headers", maxHeaders)
		return nil
	}
	out := make(map[string]string, len(in))
	for _, name := range slices.Sorted(maps.Keys(in)) {
		val := in[name]
		canon := textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name))
		switch {
		case canon == "" || strings.ContainsAny(name, " \t\r\n:"):
			v.Add("headers."+name, "is not a valid header name")
		case strings.ContainsAny(val, "\r\n\x00"):
			v.Add("headers."+name, "must not contain line breaks")
		case slices.Contains(hopHeaders, canon):
			// Dropped: trawl's own connection decides these.
		default:
			out[canon] = val
		}
	}
	return out
}

func scenario(v *trawl.Invalid, raw json.RawMessage) []Action {
	var steps []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &steps); err != nil {
		v.Add("jsScenario", `must be an array of one-key action objects, e.g. [{"click": "#more"}, {"wait": 500}]`)
		return nil
	}
	if len(steps) > maxScenarioStep {
		v.Add("jsScenario", "must hold at most %d actions", maxScenarioStep)
		return nil
	}
	out := make([]Action, 0, len(steps))
	for i, step := range steps {
		field := fmt.Sprintf("jsScenario[%d]", i)
		if len(step) != 1 {
			v.Add(field, "must be an object with exactly one action (click, fill, wait, waitFor, waitForAndClick, scrollX, scrollY, evaluate)")
			continue
		}
		var a Action
		for name, val := range step {
			field += "." + name
			var err error
			switch name {
			case "click", "waitFor", "waitForAndClick":
				var s string
				if err = json.Unmarshal(val, &s); err == nil {
					_, err = cascadia.ParseGroup(s)
				}
				switch name {
				case "click":
					a.Click = s
				case "waitFor":
					a.WaitFor = s
				default:
					a.WaitForAndClick = s
				}
				if err != nil {
					v.Add(field, "must be a valid CSS selector")
					continue
				}
			case "fill":
				var pair [2]string
				if json.Unmarshal(val, &pair) != nil {
					v.Add(field, `must be ["css selector", "value"]`)
					continue
				}
				a.Fill = &pair
			case "wait", "scrollX", "scrollY":
				n, err := scrape.StrictInt(val)
				if err != nil || (name == "wait" && (n < 0 || n > int(MaxWait.Milliseconds()))) {
					v.Add(field, "must be a whole number (wait: milliseconds from 0 to %d)", MaxWait.Milliseconds())
					continue
				}
				switch name {
				case "wait":
					a.Wait = &n
				case "scrollX":
					a.ScrollX = &n
				default:
					a.ScrollY = &n
				}
			case "evaluate":
				if json.Unmarshal(val, &a.Evaluate) != nil {
					v.Add(field, "must be a string of JavaScript")
					continue
				}
			default:
				v.Add(field, "unknown action; allowed: click, fill, wait, waitFor, waitForAndClick, scrollX, scrollY, evaluate")
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

func enumString(v *trawl.Invalid, field string, raw json.RawMessage, allowed []string, fold func(string) string) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		v.Add(field, "must be one of %s", strings.Join(allowed, ", "))
		return ""
	}
	s = fold(strings.TrimSpace(s))
	if s == "GB" {
		s = "UK"
	}
	if !slices.Contains(allowed, s) {
		v.Add(field, "unknown value %q; allowed: %s", s, strings.Join(allowed, ", "))
		return ""
	}
	return s
}

// oneOrList reads a JSON array of strings, or one string as a list of one.
func oneOrList(raw json.RawMessage) ([]string, bool) {
	if list, ok := scrape.StringList(raw); ok {
		return list, true
	}
	var one string
	if json.Unmarshal(raw, &one) != nil {
		return nil, false
	}
	return []string{one}, true
}
