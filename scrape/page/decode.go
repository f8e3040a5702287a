package page

// DecodeHTML returns an HTML response body as valid UTF-8, choosing the
// charset exactly as [ParsePage] does: a byte order mark, the charset
// parameter of contentType, a <meta> declaration in the first 1024 bytes, and
// failing those UTF-8 (invalid sequences become U+FFFD). Other scrapers that
// walk the HTML themselves (the contacts extractor) use it so every scraper
// reads a page's text the same way. It is safe for concurrent use and does
// not keep or modify body.
func DecodeHTML(body []byte, contentType string) (string, error) {
	return decode(body, contentType)
}
