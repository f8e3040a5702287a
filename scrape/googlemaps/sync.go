package googlemaps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// This file holds what the synchronous endpoints (GET /scrape/google-maps/
// search, place, reviews) and the google-maps-reviews jobs share: a place's
// page, a page of its reviews, a page of a search, each one fetch, parsed by
// the same parsers the jobs use.

var (
	// countryRE is Google's gl: a two-letter country code.
	countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)
	// domainRE is a Google domain: google.com, google.co.uk, google.de.
	domainRE = regexp.MustCompile(`^(www\.)?google(\.[a-z]{2,3}){1,2}$`)
)

// statusErr is a response other than 2xx.
type statusErr struct {
	code int
	url  string
}

func (e *statusErr) Error() string { return fmt.Sprintf("HTTP %d from %s", e.code, e.url) }

// get fetches u and returns its body; a status other than 2xx is a
// *statusErr.
func (s *Scraper) get(ctx context.Context, u, language string) ([]byte, error) {
	h := http.Header{}
	if language != "" {
		h.Set("Accept-Language", language)
	}
	resp, err := s.fetcher.Fetch(ctx, scrape.Request{URL: u, Header: h})
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &statusErr{code: resp.StatusCode, url: u}
	}
	return resp.Body, nil
}

// Details fetches and reads the place page of placeID, or of dataID when
// placeID is "". An id that names no place is an error wrapping
// scrape.ErrUnresolved; any other error means the page could not be had
// now. One fetch.
func (s *Scraper) Details(ctx context.Context, placeID, dataID, language string) (*PlaceDetails, error) {
	var u, id string
	switch {
	case placeID != "":
		if !ValidPlaceID(placeID) {
			return nil, scrape.Unresolved("placeId %q is not a Google Maps place id.", placeID)
		}
		u, id = PlaceURL(s.base, placeID, language), "placeId "+strconv.Quote(placeID)
	case dataID != "":
		if !ValidDataID(dataID) {
			return nil, scrape.Unresolved("dataId %q is not a Google Maps data id (0x…:0x…).", dataID)
		}
		u, id = PlaceDataURL(s.base, dataID, language), "dataId "+strconv.Quote(dataID)
	default:
		return nil, errors.New("google maps place: no id")
	}
	body, err := s.get(ctx, u, language)
	var se *statusErr
	if errors.As(err, &se) && (se.code == http.StatusNotFound || se.code == http.StatusGone) {
		return nil, scrape.Unresolved("Google Maps has no place with %s.", id)
	} else if err != nil {
		return nil, fmt.Errorf("google maps place %s: %w", id, err)
	}
	d, err := ParsePlacePage(bytes.NewReader(body))
	if errors.Is(err, ErrNoPlace) {
		return nil, scrape.Unresolved("Google Maps has no place with %s.", id)
	} else if err != nil {
		return nil, fmt.Errorf("google maps place %s: %w (from %s)", id, err, u)
	}
	return d, nil
}

// ReviewsPage fetches one page of a place's reviews. One fetch.
func (s *Scraper) ReviewsPage(ctx context.Context, dataID, sortBy, token, language string) (*ReviewPage, error) {
	u := ReviewsURL(s.base, dataID, sortBy, token, language)
	body, err := s.get(ctx, u, language)
	if err != nil {
		return nil, fmt.Errorf("google maps reviews of %s: %w", dataID, err)
	}
	page, err := ParseReviews(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("google maps reviews of %s: %w (from %s)", dataID, err, u)
	}
	return page, nil
}

// Endpoints implements the synchronous endpoints of Google Maps, in
// HasData's shapes (hasdata-more.md §3).
func (s *Scraper) Endpoints() []scrape.Endpoint {
	lang := scrape.EndpointParam{Name: "hl", Type: "string", Description: "Language of the results, e.g. \"en\", \"de\"."}
	return []scrape.Endpoint{{
		Path:    "/scrape/google-maps/search",
		Summary: "Search Google Maps",
		Description: "One page of a Google Maps search (up to 20 places) as localResults, each place with the fields " +
			"of a google-maps job row.",
		Params: []scrape.EndpointParam{
			{Name: "q", Type: "string", Required: true, Description: "What to search for: \"coffee shops New York\"."},
			{Name: "ll", Type: "string", Description: "The map viewport, \"@latitude,longitude,zoomz\"; required with start."},
			{Name: "start", Type: "integer", Description: "Offset of the first result: 0, 20, 40…"},
			lang,
			{Name: "gl", Type: "string", Description: "Country of the search, a two-letter code."},
			{Name: "domain", Type: "string", Description: "Google domain (google.com, google.co.uk…): checked; searches go to TRAWL_GOOGLE_MAPS_URL."},
		},
		Do: s.syncSearch,
	}, {
		Path:        "/scrape/google-maps/place",
		Summary:     "Get a Google Maps place",
		Description: "A place's page read as placeResults: the fields of a search result, its cid and its photos.",
		Params: []scrape.EndpointParam{
			{Name: "placeId", Type: "string", Required: true, Description: "The place id, \"ChIJ…\"."},
			lang,
			{Name: "domain", Type: "string", Description: "Google domain, default google.com."},
		},
		Do: s.syncPlace,
	}, {
		Path:    "/scrape/google-maps/reviews",
		Summary: "Get a page of a Google Maps place's reviews",
		Description: "placeInfo, topics, about 10 reviews and the token of the next page. placeId or dataId is " +
			"required (422 without either; 400 with requestMetadata.status \"error\" when it names no place).",
		Params: []scrape.EndpointParam{
			{Name: "placeId", Type: "string", Description: "The place id, \"ChIJ…\"."},
			{Name: "dataId", Type: "string", Description: "The place's data id, \"0x…:0x…\"."},
			{Name: "sortBy", Type: "string", Enum: SortSpellings(), Description: "Order of the reviews; default most relevant."},
			{Name: "topicId", Type: "string", Description: "Accepted; topics are not read yet, so it filters nothing."},
			{Name: "nextPageToken", Type: "string", Description: "The previous answer's pagination.nextPageToken."},
			lang,
		},
		Do: s.syncReviews,
	}}
}

// query reads the single-valued text parameters of a call, trimmed.
func query(q url.Values, name string) string { return strings.TrimSpace(q.Get(name)) }

// language reads hl into v.
func language(v *trawl.Invalid, q url.Values) string {
	hl := query(q, "hl")
	if hl != "" && !languageRE.MatchString(hl) {
		v.Add("hl", "must be a language code such as \"en\", \"de\" or \"pt-BR\"")
	}
	return hl
}

func checkDomain(v *trawl.Invalid, q url.Values) {
	if d := strings.ToLower(query(q, "domain")); d != "" && !domainRE.MatchString(d) {
		v.Add("domain", "must be a Google domain such as google.com or google.co.uk")
	}
}

// syncSearch answers GET /scrape/google-maps/search.
func (s *Scraper) syncSearch(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	text := query(q, "q")
	if text == "" {
		v.Add("q", "is required: what to search for, e.g. \"coffee shops New York\"")
	}
	hl := language(&v, q)
	if hl == "" {
		hl = DefaultLanguage
	}
	var coords *Coordinates
	if ll := query(q, "ll"); ll != "" {
		c, msg := parseCoordinates(ll)
		if msg != "" {
			v.Add("ll", "%s", msg)
		}
		coords = c
	}
	start := 0
	if st := query(q, "start"); st != "" {
		n, err := strconv.Atoi(st)
		switch {
		case err != nil || n < 0 || n > 1000:
			v.Add("start", "must be a whole number from 0 to 1000")
		case query(q, "ll") == "" && n > 0:
			v.Add("ll", "is required when start is used: \"@latitude,longitude,zoomz\"")
		default:
			start = n
		}
	}
	gl := query(q, "gl")
	if gl != "" && !countryRE.MatchString(gl) {
		v.Add("gl", "must be a two-letter country code such as \"us\"")
	}
	checkDomain(&v, q)
	if err := v.Err(); err != nil {
		return nil, err
	}
	u := SearchURL(s.base, text, hl, coords, start)
	if gl != "" {
		u += "&gl=" + url.QueryEscape(strings.ToLower(gl))
	}
	body, err := s.get(ctx, u, hl)
	if err != nil {
		return nil, fmt.Errorf("google maps search %q: %w", text, err)
	}
	page, err := ParseSearch(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("google maps search %q: %w (from %s)", text, err, u)
	}
	results := make([]Place, 0, len(page.Places))
	for i, p := range page.Places {
		p.Position = start + i + 1
		results = append(results, p)
	}
	return &scrape.EndpointResult{Body: map[string]any{"localResults": results}, Credits: 1}, nil
}

// syncPlace answers GET /scrape/google-maps/place.
func (s *Scraper) syncPlace(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	id := query(q, "placeId")
	if id == "" {
		v.Add("placeId", "is required: a Google Maps place id such as \"ChIJ…\"")
	}
	hl := language(&v, q)
	checkDomain(&v, q)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := s.Details(ctx, id, "", hl)
	if err != nil {
		return nil, err
	}
	return &scrape.EndpointResult{Body: map[string]any{"placeResults": d}, Credits: 1}, nil
}

// PlaceInfo is the place a page of reviews is about.
type PlaceInfo struct {
	Title   string   `json:"title,omitempty"`
	PlaceID string   `json:"placeId,omitempty"`
	DataID  string   `json:"dataId,omitempty"`
	Address string   `json:"address,omitempty"`
	Rating  *float64 `json:"rating,omitempty"`
	Reviews *int64   `json:"reviews,omitempty"`
	Type    string   `json:"type,omitempty"`
}

func placeInfo(d *PlaceDetails) PlaceInfo {
	return PlaceInfo{Title: d.Title, PlaceID: d.PlaceID, DataID: d.DataID, Address: d.Address, Rating: d.Rating,
		Reviews: d.Reviews, Type: d.Type}
}

// Topic is a subject reviewers mention. trawl does not read topics yet; the
// list is always empty.
type Topic struct {
	Keyword  string `json:"keyword"`
	Mentions int    `json:"mentions"`
	ID       string `json:"id"`
}

// syncReviews answers GET /scrape/google-maps/reviews: the place page (for
// placeInfo and, given a placeId, the data id), then one page of reviews.
func (s *Scraper) syncReviews(ctx context.Context, q url.Values) (*scrape.EndpointResult, error) {
	var v trawl.Invalid
	placeID, dataID := query(q, "placeId"), query(q, "dataId")
	if placeID == "" && dataID == "" {
		v.Add("placeId", "placeId or dataId is required")
		v.Add("dataId", "placeId or dataId is required")
	}
	sortBy, ok := ParseSortBy(query(q, "sortBy"))
	if !ok {
		v.Add("sortBy", "must be one of: %s", strings.Join(SortSpellings(), ", "))
	}
	hl := language(&v, q)
	if err := v.Err(); err != nil {
		return nil, err
	}
	d, err := s.Details(ctx, placeID, dataID, hl)
	if err != nil {
		return nil, err
	}
	if d.DataID == "" {
		return nil, scrape.Unresolved("Google Maps lists no reviews for place %q.", d.Title)
	}
	page, err := s.ReviewsPage(ctx, d.DataID, sortBy, query(q, "nextPageToken"), hl)
	if err != nil {
		return nil, err
	}
	pagination := map[string]string{}
	if page.NextPageToken != "" {
		pagination["nextPageToken"] = page.NextPageToken
	}
	return &scrape.EndpointResult{Body: reviewsBody{PlaceInfo: placeInfo(d), Topics: []Topic{}, Reviews: page.Reviews,
		Pagination: pagination}, Credits: 2}, nil
}

type reviewsBody struct {
	PlaceInfo  PlaceInfo         `json:"placeInfo"`
	Topics     []Topic           `json:"topics"`
	Reviews    []Review          `json:"reviews"`
	Pagination map[string]string `json:"pagination"`
}
