package scrape

// The helpers below build the JSON Schema of a create body (Info.Params), so
// that the properties every scraper shares are described once.

// BodySchema returns the schema of a create body: an object with props,
// required fields, and the "limit" and "webhook" every create body may carry
// (the caller reads those; see Scraper.Parse). props is modified.
func BodySchema(required []string, props map[string]any) map[string]any {
	props["limit"] = map[string]any{"type": "integer", "minimum": 0, "default": 0,
		"description": "Stop after this many rows; 0 = no limit."}
	props["webhook"] = map[string]any{"$ref": "#/components/schemas/Webhook"}
	return map[string]any{"type": "object", "required": required, "properties": props}
}

// URLsSchema is the schema of a "urls" list of 1 to maxItems http or https
// URLs.
func URLsSchema(maxItems int, description string) map[string]any {
	return map[string]any{"type": "array", "minItems": 1, "maxItems": maxItems,
		"items": map[string]any{"type": "string", "format": "uri"}, "description": description}
}

// RobotsSchema is the schema of "respectRobotsTxt".
func RobotsSchema() map[string]any {
	return map[string]any{"type": "boolean", "default": true}
}
