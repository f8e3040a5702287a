package scrape

import "math"

// The helpers below build the JSON Schema of a create body (Info.Params), so
// that the properties every scraper shares are described once.

// BodySchema returns the schema of a create body: an object with props,
// required fields, and the "limit" and "webhook" every create body may carry
// (the caller reads those; see Scraper.Parse). props is modified.
func BodySchema(required []string, props map[string]any) map[string]any {
	props["limit"] = map[string]any{"type": "integer", "minimum": 0, "maximum": math.MaxInt32, "default": 0,
		"description": "Stop after this many rows; 0 = no limit."}
	props["webhook"] = map[string]any{"$ref": "#/components/schemas/Webhook"}
	return map[string]any{"type": "object", "required": required, "properties": props}
}

// URLsSchema is the schema of a "urls" list of 1 to maxItems http or https
// URLs.
func URLsSchema(maxItems int, description string) map[string]any {
	return map[string]any{"type": "array", "minItems": 1, "maxItems": maxItems,
		"items": URLSchema(), "description": description}
}

// MaxURLLength is the longest URL a create body may hold.
const MaxURLLength = 2048

// URLPattern matches the absolute http and https URLs trawl accepts, with a
// host (case-insensitive scheme, as url.Parse reads it; surrounding spaces
// are trimmed).
const URLPattern = `^\s*[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+([/?#].*)?$`

// URLSchema is the schema of one http or https URL in a create body.
func URLSchema() map[string]any {
	return map[string]any{"type": "string", "format": "uri", "maxLength": MaxURLLength, "pattern": URLPattern}
}

// RobotsSchema is the schema of "respectRobotsTxt".
func RobotsSchema() map[string]any {
	return map[string]any{"type": "boolean", "default": true}
}
