package page

import "strings"

// OptionProps returns the JSON Schema properties of the page options, keyed
// by field name, with defaults taken from d (the caller's defaults: the
// crawler's and /scrape/web's differ). The maps are new on each call.
func OptionProps(d Options) map[string]any {
	boolean := func(def bool, desc string) map[string]any {
		return map[string]any{"type": "boolean", "default": def, "description": desc}
	}
	list := func(desc string) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": desc}
	}
	// Lists of selectors: blank ones are skipped, the others must parse.
	selectorList := func(desc string) map[string]any {
		return map[string]any{"type": "array", "maxItems": maxSelectors, "description": desc, "items": map[string]any{"type": "string",
			"anyOf": []any{map[string]any{"pattern": `^\s*$`}, map[string]any{"format": "css-selector"}}}}
	}
	selector := map[string]any{"type": "string", "format": "css-selector"}
	// One format, a list of them, or a comma list in one string, in any
	// case; repeats are dropped.
	var names []string
	for _, n := range FormatNames() {
		var b strings.Builder
		for _, r := range n {
			b.WriteString("[" + strings.ToLower(string(r)) + strings.ToUpper(string(r)) + "]")
		}
		names = append(names, b.String())
	}
	name := "(" + strings.Join(names, "|") + ")"
	formats := map[string]any{
		"oneOf": []any{
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"type": "string", "enum": FormatNames()}},
			map[string]any{"type": "string", "pattern": `^[\s,]*` + name + `[\s,]*(` + name + `[\s,]*)*$`},
		},
		"description": "Formats of the page: html (the key content), text, markdown; json adds the metadata and extraction keys."}
	if len(d.OutputFormat) > 0 {
		formats["default"] = d.OutputFormat
	}
	return map[string]any{
		"outputFormat": formats,
		"extractRules": map[string]any{"type": "object", "maxProperties": maxRules, "additionalProperties": map[string]any{"type": "string", "format": "css-rule"},
			"description": `Named CSS selectors, "selector" for the text or "selector @attr" for an attribute; one match gives a string, several an array, none null (extractedData).`},
		"aiExtractRules": map[string]any{"type": "object", "minProperties": 1, "maxProperties": maxAIFields,
			"additionalProperties": aiRuleSchema(),
			"description":          "Fields to extract with a language model: {name: {type: string|number|boolean|list|item, description, enum, output}} (aiResponse). Needs TRAWL_LLM_URL and TRAWL_LLM_MODEL."},
		"excludeTags":        selectorList("CSS selectors of elements removed before the page is serialised."),
		"includeOnlyTags":    selectorList("CSS selectors of the only elements kept."),
		"removeBase64Images": boolean(d.RemoveBase64Images, "Drop images inlined as data: URLs."),
		"extractEmails":      boolean(d.ExtractEmails, "Add the page's email addresses (emails)."),
		"extractLinks":       boolean(d.ExtractLinks, "Add the page's links (links)."),
		"headers": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": "Request headers sent to the target (hop-by-hop headers and Host are dropped)."},
		"jsRendering": boolean(d.JSRendering, "Load the page in a headless browser, when this trawl has one; otherwise it is fetched and requestMetadata says so."),
		"wait": map[string]any{"type": "integer", "minimum": 0, "maximum": MaxWait.Milliseconds(), "default": d.Wait,
			"description": "Milliseconds to wait after the page has loaded (rendering only)."},
		"waitFor": map[string]any{"type": "string", "format": "css-selector", "description": "CSS selector to wait for (rendering only)."},
		"jsScenario": map[string]any{"type": "array", "maxItems": maxScenarioStep, "items": map[string]any{"type": "object",
			"minProperties": 1, "maxProperties": 1, "additionalProperties": false, "properties": map[string]any{
				"click": selector, "waitFor": selector, "waitForAndClick": selector,
				"fill":    map[string]any{"type": "array", "minItems": 2, "maxItems": 2, "items": map[string]any{"type": "string"}},
				"wait":    map[string]any{"type": "integer", "minimum": 0, "maximum": MaxWait.Milliseconds()},
				"scrollX": map[string]any{"type": "integer"}, "scrollY": map[string]any{"type": "integer"},
				"evaluate": map[string]any{"type": "string"},
			}},
			"description": "Browser actions, each a one-key object: click, fill [selector, value], wait (ms), waitFor, waitForAndClick, scrollX, scrollY, evaluate (rendering only)."},
		"screenshot":     boolean(d.Screenshot, "Take a screenshot (rendering only)."),
		"blockResources": boolean(d.BlockResources, "Skip images, fonts and stylesheets (rendering only)."),
		"blockAds":       boolean(d.BlockAds, "Skip ads and trackers (rendering only)."),
		"blockUrls":      list("Glob patterns of sub-requests to skip (rendering only)."),
		"proxyType": map[string]any{"type": "string", "enum": proxyTypes,
			"description": "Proxy pool type; without labelled pools the request goes direct or through TRAWL_PROXY_URLS."},
		"proxyCountry": map[string]any{"type": "string", "enum": proxyCountries, "description": "Proxy pool country."},
	}
}

// aiRuleSchema describes one field of aiExtractRules: its type, and the
// output a list or an item needs. (Nested output is described one level
// deep; the server checks every level.)
func aiRuleSchema() map[string]any {
	types := make([]any, 0, len(aiTypes))
	for _, t := range aiTypes {
		types = append(types, t)
	}
	scalar := []any{"string", "number", "boolean"}
	return map[string]any{
		"type":     "object",
		"required": []any{"type"},
		"properties": map[string]any{
			"type":        map[string]any{"enum": types},
			"description": map[string]any{"type": "string"},
			"enum":        map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			"output": map[string]any{"oneOf": []any{
				map[string]any{"enum": scalar},
				map[string]any{"type": "object", "minProperties": 1, "maxProperties": maxAIFields,
					"additionalProperties": map[string]any{"type": "object", "required": []any{"type"},
						"properties": map[string]any{"type": map[string]any{"enum": scalar}}}},
			}},
		},
		"allOf": []any{
			map[string]any{"if": map[string]any{"required": []any{"enum"}}, "then": map[string]any{"properties": map[string]any{"type": map[string]any{"const": "string"}}}},
			map[string]any{"if": map[string]any{"properties": map[string]any{"type": map[string]any{"enum": []any{"list", "item"}}}},
				"then": map[string]any{"required": []any{"output"}}},
			map[string]any{"if": map[string]any{"properties": map[string]any{"type": map[string]any{"const": "item"}}},
				"then": map[string]any{"properties": map[string]any{"output": map[string]any{"type": "object"}}}},
		},
	}
}

// Limits returns schemas that a create body or a /scrape/web body must
// also match on this trawl (to be listed under allOf): the options it
// refuses for want of a headless browser (with jsRendering on; renderOn says
// whether jsRendering is on when absent) or of a language model. So the
// description says what this server accepts, as configured.
func (e *Engine) Limits(renderOn bool) []any {
	var out []any
	if e.c.Renderer == nil {
		off := map[string]any{"properties": map[string]any{"jsRendering": map[string]any{"enum": []any{false}}}}
		if renderOn {
			off["required"] = []any{"jsRendering"}
		}
		none := map[string]any{"properties": map[string]any{
			"wait":       map[string]any{"maximum": 0},
			"waitFor":    map[string]any{"maxLength": 0},
			"jsScenario": map[string]any{"maxItems": 0},
			"screenshot": map[string]any{"enum": []any{false}},
		}}
		out = append(out, map[string]any{"anyOf": []any{off, none},
			"description": "This trawl has no headless browser: wait, waitFor, jsScenario and screenshot need jsRendering off."})
	}
	if e.c.LLM == nil {
		out = append(out, map[string]any{"properties": map[string]any{"aiExtractRules": map[string]any{"not": map[string]any{}}},
			"description": "This trawl has no language model configured (TRAWL_LLM_URL, TRAWL_LLM_MODEL): aiExtractRules is refused."})
	}
	return out
}
