package page

// OptionProps returns the JSON Schema properties of the page options, keyed
// by field name, with defaults taken from d (the caller's defaults: the
// crawler's and /scrape/web's differ). The maps are new on each call.
func OptionProps(d Options) map[string]any {
	str := func(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
	boolean := func(def bool, desc string) map[string]any {
		return map[string]any{"type": "boolean", "default": def, "description": desc}
	}
	list := func(desc string) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": desc}
	}
	formats := map[string]any{"type": "array", "uniqueItems": true,
		"items":       map[string]any{"type": "string", "enum": FormatNames()},
		"description": "Formats of the page: html (the key content), text, markdown; json adds the metadata and extraction keys."}
	if len(d.OutputFormat) > 0 {
		formats["default"] = d.OutputFormat
	}
	return map[string]any{
		"outputFormat": formats,
		"extractRules": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": `Named CSS selectors, "selector" for the text or "selector @attr" for an attribute; one match gives a string, several an array, none null (extractedData).`},
		"aiExtractRules": map[string]any{"type": "object",
			"description": "Fields to extract with a language model: {name: {type: string|number|boolean|list|item, description, enum, output}} (aiResponse). Needs TRAWL_LLM_URL and TRAWL_LLM_MODEL."},
		"excludeTags":        list("CSS selectors of elements removed before the page is serialised."),
		"includeOnlyTags":    list("CSS selectors of the only elements kept."),
		"removeBase64Images": boolean(d.RemoveBase64Images, "Drop images inlined as data: URLs."),
		"extractEmails":      boolean(d.ExtractEmails, "Add the page's email addresses (emails)."),
		"extractLinks":       boolean(d.ExtractLinks, "Add the page's links (links)."),
		"headers": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"},
			"description": "Request headers sent to the target (hop-by-hop headers and Host are dropped)."},
		"jsRendering": boolean(d.JSRendering, "Load the page in a headless browser, when this trawl has one; otherwise it is fetched and requestMetadata says so."),
		"wait": map[string]any{"type": "integer", "minimum": 0, "maximum": MaxWait.Milliseconds(), "default": d.Wait,
			"description": "Milliseconds to wait after the page has loaded (rendering only)."},
		"waitFor": str("CSS selector to wait for (rendering only)."),
		"jsScenario": map[string]any{"type": "array", "items": map[string]any{"type": "object"},
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
