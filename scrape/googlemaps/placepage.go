package googlemaps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
)

// ErrNoPlace is returned by ParsePlacePage for a page that is a Maps page but
// describes no place: the id did not resolve. The synchronous endpoints
// answer it with 400 and requestMetadata.status "error".
var ErrNoPlace = errors.New("the page describes no place")

// PlaceDetails is one place as its place page describes it: the fields of a
// search result, and what only the page has.
type PlaceDetails struct {
	Place
	// CID is the place's decimal customer id ("ludocid"), when the page
	// gives it.
	CID    string  `json:"cid,omitempty"`
	Images []Image `json:"images,omitempty"`
}

// Image is one photo of a place.
type Image struct {
	Title string `json:"title,omitempty"`
	Image string `json:"image"`
}

// The place page's own indexes (scraping.md §2.4, "place page"), beside the
// place array's, which are shared with search results (place.go).
var (
	idxImages = []int{171, 0}                // [[…, …, title, [[…×6, [url]]]], …]
	idxCID    = []int{25, 3, 0, 13, 0, 0, 1} // in the page's JSON, not in the place array
)

// appStateMarker precedes the JSON array that holds a place page's data.
var appStateMarker = []byte("APP_INITIALIZATION_STATE=")

// PlaceURL returns the place page of a place id ("ChIJ…"):
// {base}/maps/place/?q=place_id:{id}&hl={language}.
func PlaceURL(base, placeID, language string) string {
	q := url.Values{"q": {"place_id:" + placeID}}
	if language != "" {
		q.Set("hl", language)
	}
	return strings.TrimRight(base, "/") + "/maps/place/?" + q.Encode()
}

// PlaceDataURL returns the place page of a data id ("0x…:0x…"):
// {base}/maps/place/data=!4m2!3m1!1s{id}?hl={language}.
func PlaceDataURL(base, dataID, language string) string {
	u := strings.TrimRight(base, "/") + "/maps/place/data=!4m2!3m1!1s" + url.PathEscape(dataID)
	if language != "" {
		u += "?" + url.Values{"hl": {language}}.Encode()
	}
	return u
}

var (
	// placeIDRE is the shape of a place id; dataIDRE of a data id.
	placeIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{10,300}$`)
	dataIDRE  = regexp.MustCompile(`^0x[0-9a-fA-F]{1,16}:0x[0-9a-fA-F]{1,16}$`)
	// urlDataIDRE finds a data id in a Maps URL ("…/data=!4m…!1s0x89c2:0x1f38!…").
	urlDataIDRE = regexp.MustCompile(`(0x[0-9a-fA-F]{1,16}:0x[0-9a-fA-F]{1,16})`)
	// urlPlaceIDRE finds a place id in a Maps URL ("?q=place_id:ChIJ…",
	// "query_place_id=ChIJ…").
	urlPlaceIDRE = regexp.MustCompile(`place_id[:=]([A-Za-z0-9_-]{10,300})`)
)

// ValidPlaceID reports whether s looks like a place id ("ChIJ…").
func ValidPlaceID(s string) bool { return placeIDRE.MatchString(s) }

// ValidDataID reports whether s looks like a data id ("0x89c259…:0x1f38…").
func ValidDataID(s string) bool { return dataIDRE.MatchString(s) }

// IDsFromURL reads the place id or data id a Google Maps URL names. Both are
// "" when it names neither.
func IDsFromURL(raw string) (placeID, dataID string) {
	u, err := url.QueryUnescape(raw)
	if err != nil {
		u = raw
	}
	if m := urlPlaceIDRE.FindStringSubmatch(u); m != nil {
		placeID = m[1]
	}
	if m := urlDataIDRE.FindStringSubmatch(u); m != nil {
		dataID = m[1]
	}
	return placeID, dataID
}

// ParsePlacePage reads a place page: HTML whose script sets
// APP_INITIALIZATION_STATE to a JSON array; one of the arrays in its [3]
// holds, at [6] or [5], a string: ")]}'" and JSON whose [6] is the place
// array (the same index map as a search result's) and whose [25] carries
// the cid. A Maps page with no such string, or whose place array has no
// title or id, is ErrNoPlace (the id did not resolve); anything else it
// cannot read is another error. It is safe for concurrent use.
func ParsePlacePage(r io.Reader) (*PlaceDetails, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read place page: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("place page larger than %d bytes", maxResponseBytes)
	}
	i := bytes.Index(body, appStateMarker)
	if i < 0 {
		if bytes.Contains(bytes.ToLower(body[:min(len(body), 4096)]), []byte("<html")) {
			return nil, ErrNoPlace
		}
		return nil, errors.New("response is not a Maps page")
	}
	var state any
	if err := json.NewDecoder(bytes.NewReader(body[i+len(appStateMarker):])).Decode(&state); err != nil {
		return nil, fmt.Errorf("place page state is not valid JSON: %w", err)
	}
	var text string
	for _, item := range arr(state, 3) {
		for _, k := range []int{6, 5} {
			if s, ok := at(item, k).(string); ok && strings.HasPrefix(s, string(xssiPrefix)) {
				text = s
				break
			}
		}
		if text != "" {
			break
		}
	}
	if text == "" {
		return nil, ErrNoPlace
	}
	var jd any
	if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(text, string(xssiPrefix)))), &jd); err != nil {
		return nil, fmt.Errorf("place data is not valid JSON: %w", err)
	}
	b := arr(jd, 6)
	if b == nil {
		return nil, ErrNoPlace
	}
	p, ok := parsePlace(b)
	if !ok {
		return nil, ErrNoPlace
	}
	d := &PlaceDetails{Place: p}
	switch cid := at(jd, idxCID...).(type) {
	case string:
		d.CID = strings.TrimSpace(cid)
	case float64:
		d.CID = fmt.Sprintf("%.0f", cid)
	}
	for _, img := range arr(b, idxImages...) {
		if u := str(img, 3, 0, 6, 0); u != "" {
			d.Images = append(d.Images, Image{Title: str(img, 2), Image: u})
		}
	}
	return d, nil
}
