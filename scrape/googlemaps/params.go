package googlemaps

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Parameter limits and defaults.
const (
	MaxTerms                  = 100 // keywords and categories together
	MaxLocations              = 100
	DefaultLanguage           = "en"
	DefaultMaxResultsPerQuery = 120 // about what Google Maps lists for one search
	MaxResultsPerQueryLimit   = 500
	maxTextLen                = 200 // one keyword, category or location
	// customPrefix marks a free-text location in HasData's API
	// ("CUSTOM>New York, NY"); it is stripped.
	customPrefix = "CUSTOM>"
)

// Params are a Google Maps job's parameters, normalised: text trimmed, the
// CUSTOM> prefix stripped from locations, repeats dropped (ignoring case),
// defaults filled in.
type Params struct {
	Keywords           []string     `json:"keywords"`
	Categories         []string     `json:"categories"`
	Locations          []string     `json:"locations"`
	ExtractEmails      bool         `json:"extractEmails"`
	Language           string       `json:"language"`
	MaxResultsPerQuery int          `json:"maxResultsPerQuery"`
	Coordinates        *Coordinates `json:"coordinates,omitempty"`
	Grid               *Grid        `json:"grid,omitempty"`
}

// Coordinates pin the map viewport of every search: HasData's `@lat,lng,zoomz`.
type Coordinates struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Zoom      float64 `json:"zoom"`
}

// Terms returns the search terms: the keywords, then the categories that are
// not also keywords.
func (p *Params) Terms() []string {
	out := append([]string(nil), p.Keywords...)
	for _, c := range p.Categories {
		if !containsFold(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// input is the create body as sent; fields are raw so that a wrong type is
// reported against its own field. Fields it does not name are ignored.
type input struct {
	Keywords           json.RawMessage `json:"keywords"`
	Categories         json.RawMessage `json:"categories"`
	Locations          json.RawMessage `json:"locations"`
	ExtractEmails      json.RawMessage `json:"extractEmails"`
	Language           json.RawMessage `json:"language"`
	MaxResultsPerQuery json.RawMessage `json:"maxResultsPerQuery"`
	Coordinates        json.RawMessage `json:"coordinates"`
	Grid               json.RawMessage `json:"grid"`
}

var (
	// languageRE accepts the language codes Google's hl takes: "en", "fil",
	// "pt-BR", "zh-Hant", "es-419".
	languageRE = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$`)
	// coordinatesRE reads "@40.7455096,-74.0083012,14z" (the @ and z are
	// optional; spaces after the commas are allowed).
	coordinatesRE = regexp.MustCompile(`^@?(-?[0-9]+(?:\.[0-9]+)?), *(-?[0-9]+(?:\.[0-9]+)?), *([0-9]+(?:\.[0-9]+)?)z?$`)
)

// ParseParams validates a Google Maps create body. A wrong value is an
// EINVALID *trawl.Error naming the field ("keywords[2]", "coordinates"); a
// body that is not a JSON object is EMALFORMED.
func ParseParams(body []byte) (*Params, error) {
	var in input
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, trawl.Errorf(trawl.EMALFORMED, "The request body is not valid JSON: %v.", err)
	}
	p := &Params{Language: DefaultLanguage, MaxResultsPerQuery: DefaultMaxResultsPerQuery}
	var v trawl.Invalid

	p.Keywords = texts(&v, "keywords", in.Keywords, MaxTerms, "", "keywords")
	p.Categories = texts(&v, "categories", in.Categories, MaxTerms, "", "categories")
	if len(v.Fields) == 0 {
		switch n := len(p.Terms()); {
		case n == 0:
			v.Add("keywords", "is required: 1 to %d search terms such as \"coffee shops\" (or give categories)", MaxTerms)
		case n > MaxTerms:
			v.Add("keywords", "keywords and categories hold %d search terms together; at most %d", n, MaxTerms)
		}
	}
	p.Locations = texts(&v, "locations", in.Locations, MaxLocations, customPrefix, "locations")
	if len(p.Locations) == 0 && !hasField(&v, "locations") {
		v.Add("locations", "is required: 1 to %d places such as \"New York, NY\" or \"CUSTOM>New York, NY\"", MaxLocations)
	}

	if scrape.Present(in.ExtractEmails) {
		if err := json.Unmarshal(in.ExtractEmails, &p.ExtractEmails); err != nil {
			v.Add("extractEmails", "must be true or false")
		}
	}
	if scrape.Present(in.Language) {
		var lang string
		if err := json.Unmarshal(in.Language, &lang); err != nil || !languageRE.MatchString(strings.TrimSpace(lang)) {
			v.Add("language", "must be a language code such as \"en\", \"de\" or \"pt-BR\"")
		} else {
			p.Language = strings.TrimSpace(lang)
		}
	}
	if scrape.Present(in.MaxResultsPerQuery) {
		n, err := scrape.StrictInt(in.MaxResultsPerQuery)
		if err != nil || n < 1 || n > MaxResultsPerQueryLimit {
			v.Add("maxResultsPerQuery", "must be a whole number from 1 to %d", MaxResultsPerQueryLimit)
		} else {
			p.MaxResultsPerQuery = n
		}
	}
	if scrape.Present(in.Coordinates) {
		var s string
		if err := json.Unmarshal(in.Coordinates, &s); err != nil {
			v.Add("coordinates", "must be a string such as \"@40.7455,-74.0083,14z\" (latitude, longitude, zoom)")
		} else if c, msg := parseCoordinates(s); msg != "" {
			v.Add("coordinates", "%s", msg)
		} else {
			p.Coordinates = c
		}
	}
	if scrape.Present(in.Grid) {
		p.Grid = parseGrid(&v, in.Grid)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// texts reads an optional array of short strings: each trimmed (and stripped
// of prefix, case ignored), none empty, repeats dropped ignoring case.
func texts(v *trawl.Invalid, field string, raw json.RawMessage, maxItems int, prefix, what string) []string {
	if !scrape.Present(raw) {
		return nil
	}
	var items []string
	if err := json.Unmarshal(raw, &items); err != nil {
		v.Add(field, "must be an array of strings")
		return nil
	}
	if len(items) > maxItems {
		v.Add(field, "must hold at most %d %s, not %d", maxItems, what, len(items))
		return nil
	}
	var out []string
	for i, s := range items {
		s = strings.TrimSpace(s)
		if prefix != "" && len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
			s = strings.TrimSpace(s[len(prefix):])
		}
		switch {
		case s == "":
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must not be empty")
		case len(s) > maxTextLen:
			v.Add(fmt.Sprintf("%s[%d]", field, i), "must be at most %d characters", maxTextLen)
		case !containsFold(out, s):
			out = append(out, s)
		}
	}
	return out
}

func hasField(v *trawl.Invalid, prefix string) bool {
	for _, f := range v.Fields {
		if strings.HasPrefix(f.Field, prefix) {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// parseCoordinates reads "@lat,lng,zoomz". msg says what is wrong, "" when
// nothing is.
func parseCoordinates(s string) (*Coordinates, string) {
	m := coordinatesRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return nil, fmt.Sprintf("must look like \"@40.7455,-74.0083,14z\" (latitude, longitude, zoom), not %q", s)
	}
	lat, err1 := strconv.ParseFloat(m[1], 64)
	lng, err2 := strconv.ParseFloat(m[2], 64)
	zoom, err3 := strconv.ParseFloat(m[3], 64)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return nil, fmt.Sprintf("must look like \"@40.7455,-74.0083,14z\", not %q", s)
	case lat < -90 || lat > 90:
		return nil, fmt.Sprintf("latitude %v must be from -90 to 90", lat)
	case lng < -180 || lng > 180:
		return nil, fmt.Sprintf("longitude %v must be from -180 to 180", lng)
	case zoom < 1 || zoom > 21 || math.IsNaN(zoom):
		return nil, fmt.Sprintf("zoom %v must be from 1 to 21", zoom)
	}
	return &Coordinates{Latitude: lat, Longitude: lng, Zoom: zoom}, ""
}
