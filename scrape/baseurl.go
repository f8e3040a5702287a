package scrape

import (
	"fmt"
	"net/url"
	"strings"
)

// BaseURL checks the base URL a scraper sends its requests to (a setting
// such as TRAWL_GOOGLE_MAPS_URL, pointed at a stand-in in tests): raw, or
// fallback when raw is empty, must be an absolute http or https URL with no
// query or fragment. It returns it without a trailing slash; the error
// names what the URL is for.
func BaseURL(raw, fallback, what string) (string, error) {
	if raw == "" {
		raw = fallback
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s %q: must be an absolute http or https URL with no query, such as %s", what, raw, fallback)
	}
	return strings.TrimRight(u.String(), "/"), nil
}
