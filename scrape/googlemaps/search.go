package googlemaps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// PageSize is how many results one search request asks for (the pb
// parameter's 7i). A page with fewer entries is the last of its search.
const PageSize = 20

// maxResponseBytes bounds what ParseSearch reads; real pages are a few
// hundred kilobytes.
const maxResponseBytes = 16 << 20

// DefaultBaseURL is where searches go unless TRAWL_GOOGLE_MAPS_URL says
// otherwise: the host of the Maps search endpoint (scraping.md §2.4).
const DefaultBaseURL = "https://maps.google.com"

// The viewport of a search without coordinates: the whole world, so that the
// location in the query text decides where Google searches.
const (
	worldLatitude  = 0
	worldLongitude = 0
	worldZoom      = 3
)

// pbFormat is the pb parameter the Maps web app sends with a search (fast
// mode, scraping.md §2.4): 2d longitude, 3d latitude, 1i/2i the viewport in
// pixels, 4f zoom, 7i the page size, 8i the offset of the first result.
const pbFormat = "!4m12!1m3!1d3826.902183192154!2d%.4f!3d%.4f!2m3!1f0!2f0!3f0!3m2!1i%d!2i%d!4f%.1f!7i%d!8i%d" +
	"!10b1!12m22!1m3!18b1!30b1!34e1!2m3!5m1!6e2!20e3!4b0!10b1!12b1!13b1!16b1!17m1!3e1!20m3!5e2!6b1!14b1!46m1!1b0" +
	"!96b1!19m4!2m3!1i360!2i120!4i8"

// Query is the text searched for a term in a location: "coffee shops New
// York, NY".
func Query(term, location string) string {
	return strings.TrimSpace(term + " " + location)
}

// SearchURL returns the URL of one page of results for query: base (scheme
// and host, maybe a path prefix) + /search?tbm=map&authuser=0&hl=…&q=…&pb=….
// The viewport is c when given, the whole world otherwise; offset is the
// index of the first result wanted (0, 20, 40…).
func SearchURL(base, query, language string, c *Coordinates, offset int) string {
	lat, lng, zoom := float64(worldLatitude), float64(worldLongitude), float64(worldZoom)
	if c != nil {
		lat, lng, zoom = c.Latitude, c.Longitude, c.Zoom
	}
	q := url.Values{
		"tbm":      {"map"},
		"authuser": {"0"},
		"hl":       {language},
		"q":        {query},
		"pb":       {fmt.Sprintf(pbFormat, lng, lat, 600, 800, zoom, PageSize, offset)},
	}
	return strings.TrimRight(base, "/") + "/search?" + q.Encode()
}

// Page is one page of search results.
type Page struct {
	// Entries is how many result entries the page held, places or not.
	Entries int `json:"entries"`
	// Places are the entries that are places, in result order. Their
	// Position, Keyword and Location are left for the caller to set.
	Places []Place `json:"places"`
}

// ParseSearch reads one response of the Maps search endpoint: the ")]}'"
// line, then JSON whose data[0][1] lists the results from index 1, each
// result's place array at [14] (scraping.md §2.4). The variant that wraps
// that text in {"c":…,"d":"…"}/*""*/ is read too.
//
// A response with no result list (data[0][1] null or absent) is a page with
// no places: the search has no (more) results. An entry without a place
// array, or whose array has neither a title nor an id, is counted in Entries
// and skipped. Within a place, a field that is missing or shaped otherwise
// than expected is left empty. ParseSearch fails only on a response it
// cannot read at all: empty, HTML (a consent or captcha page), not JSON, or
// JSON of another shape. It is safe for concurrent use.
func ParseSearch(r io.Reader) (*Page, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	text, err := unwrap(body)
	if err != nil {
		return nil, err
	}
	var data any
	if err := json.Unmarshal(text, &data); err != nil {
		return nil, fmt.Errorf("response is not valid JSON: %w", err)
	}
	container, ok := at(data, 0).([]any)
	if !ok {
		return nil, errors.New("response has an unknown shape: data[0] is not an array")
	}
	page := &Page{}
	var list []any
	switch l := at(container, 1).(type) {
	case nil:
		return page, nil // no results
	case []any:
		list = l
	default:
		return nil, errors.New("response has an unknown shape: data[0][1] is not an array")
	}
	for _, entry := range list[min(1, len(list)):] {
		page.Entries++
		if b := arr(entry, 14); b != nil {
			if p, ok := parsePlace(b); ok {
				page.Places = append(page.Places, p)
			}
		}
	}
	return page, nil
}

var (
	xssiPrefix  = []byte(")]}'")
	trailer     = []byte(`/*""*/`)
	utf8BOM     = []byte("\xef\xbb\xbf")
	errNoPrefix = errors.New("response is not Maps search results")
)

// unwrap returns the JSON text of a response: without the ")]}'" line, and
// out of the {"c":…,"d":"…"} wrapper when there is one.
func unwrap(body []byte) ([]byte, error) {
	b := bytes.TrimSpace(bytes.TrimPrefix(body, utf8BOM))
	b = bytes.TrimSpace(bytes.TrimSuffix(b, trailer))
	if len(b) == 0 {
		return nil, errors.New("response is empty")
	}
	if b[0] == '{' {
		var w struct {
			D *string `json:"d"`
		}
		if err := json.Unmarshal(b, &w); err != nil || w.D == nil {
			return nil, fmt.Errorf("%w: a JSON object without a \"d\" string", errNoPrefix)
		}
		b = bytes.TrimSpace([]byte(*w.D))
	}
	if bytes.HasPrefix(b, xssiPrefix) {
		b = bytes.TrimSpace(b[len(xssiPrefix):])
	}
	switch {
	case len(b) == 0:
		return nil, errors.New("response is empty after its )]}' line")
	case b[0] == '<':
		return nil, fmt.Errorf("%w: an HTML page (a consent or captcha page?)", errNoPrefix)
	case b[0] != '[':
		return nil, fmt.Errorf("%w: it starts with %q", errNoPrefix, snippet(b))
	}
	return b, nil
}

func snippet(b []byte) string {
	const n = 40
	if len(b) > n {
		b = b[:n]
	}
	return strings.ToValidUTF8(string(b), "?")
}
