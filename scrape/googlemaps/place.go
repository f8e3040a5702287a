package googlemaps

import (
	"math"
	"net/url"
	"slices"
	"strings"
)

// Place is one Google Maps place: a row of the google-maps scraper (without
// the contacts extractEmails adds). Field names are HasData's. A field the
// response does not have, or has in a shape the parser does not know, is
// left out of the JSON; it is never guessed.
type Place struct {
	// Position is the place's rank in its search's results, from 1,
	// continuing across pages.
	Position       int           `json:"position,omitempty"`
	Title          string        `json:"title,omitempty"`
	PlaceID        string        `json:"placeId,omitempty"` // "ChIJ…"
	DataID         string        `json:"dataId,omitempty"`  // "0x89c259…:0x1f38…"
	Kgmid          string        `json:"kgmid,omitempty"`   // Knowledge Graph id, "/g/11b6…" or "/m/0…"
	Address        string        `json:"address,omitempty"`
	Phone          string        `json:"phone,omitempty"`   // as Maps shows it
	Website        string        `json:"website,omitempty"` // Google's /url?q= redirect removed
	Rating         *float64      `json:"rating,omitempty"`
	Reviews        *int64        `json:"reviews,omitempty"`
	Type           string        `json:"type,omitempty"`  // the main category
	Types          []string      `json:"types,omitempty"` // every category, the main one first
	Price          string        `json:"price,omitempty"` // "$$", "€10–20"
	Description    string        `json:"description,omitempty"`
	OpenState      string        `json:"openState,omitempty"` // "Open ⋅ Closes 6 PM"
	WorkingHours   *WorkingHours `json:"workingHours,omitempty"`
	GPSCoordinates *GPS          `json:"gpsCoordinates,omitempty"`
	Timezone       string        `json:"timezone,omitempty"` // IANA, "America/New_York"
	PlusCode       string        `json:"plusCode,omitempty"`
	Thumbnail      string        `json:"thumbnail,omitempty"`
	// Keyword is the search term (keyword or category) that found the place.
	Keyword string `json:"keyword,omitempty"`
	// Location is the location searched, without HasData's CUSTOM> prefix.
	Location string `json:"location,omitempty"`

	// CountryCode is the place's country (ISO 3166-1 alpha-2, upper case)
	// when the response gives it; phone numbers found on the place's
	// website are read in it. Not a row field.
	CountryCode string `json:"-"`
}

// WorkingHours are a place's opening hours. Days are Monday first when the
// day names are English (Maps lists them from "today"), otherwise in the
// response's order.
type WorkingHours struct {
	Timezone string     `json:"timezone,omitempty"`
	Days     []DayHours `json:"days"`
}

// DayHours are one day's opening hours: "7 AM–6 PM", "Closed", or several
// spans joined with ", ". HasData names the hours "time"; "hours" carries
// the same text for clients of trawl's first rows.
type DayHours struct {
	Day   string `json:"day"`
	Time  string `json:"time"`
	Hours string `json:"hours"`
}

// GPS is a place's position.
type GPS struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// The index map of a place array (b = data[0][1][i][14]), from the Maps web
// app as documented in scraping.md §2.4 (fast mode and place page). These
// indexes are undocumented and move now and then; each field is read
// defensively, and where Google has moved a field before both places are
// tried, newest first.
var (
	idxTitle        = []int{11}
	idxPlaceID      = []int{78}
	idxDataID       = []int{10}
	idxKgmid        = []int{89}   // "/g/11b6…"; kept only when it looks like a Knowledge Graph id
	idxAddressParts = []int{2}    // ["123 Main St", "New York, NY 10001"]
	idxFullAddress  = []int{18}   // "Title, 123 Main St, New York, NY 10001"
	idxWebsite      = []int{7, 0} // "/url?q=http://…" or the URL
	idxPhone        = []int{178, 0, 0}
	idxPrice        = []int{4, 2}
	idxRating       = []int{4, 7}
	idxReviews      = []int{4, 8}
	idxTypes        = []int{13}
	idxLatitude     = []int{9, 2}
	idxLongitude    = []int{9, 3}
	idxTimezone     = []int{30}
	idxOpenState    = []int{34, 4, 4}
	idxHoursNew     = []int{203, 0} // [[day, …, …, [[span, …], …]], …] (since Nov 2025)
	idxHoursOld     = []int{34, 1}  // [[day, [span, …]], …]
	idxDescription  = []int{32, 1, 1}
	idxThumbnail    = []int{72, 0, 1, 6, 0}
	idxPlusCode     = []int{183, 2, 2, 0}
	idxCountry      = []int{183, 1, 6}
)

// parsePlace reads one place array. ok is false when the array has neither a
// title nor an id: nothing to make a row of.
func parsePlace(b []any) (p Place, ok bool) {
	p.Title = str(b, idxTitle...)
	p.PlaceID = str(b, idxPlaceID...)
	p.DataID = str(b, idxDataID...)
	if p.Title == "" && p.PlaceID == "" && p.DataID == "" {
		return Place{}, false
	}
	if k := str(b, idxKgmid...); strings.HasPrefix(k, "/g/") || strings.HasPrefix(k, "/m/") {
		p.Kgmid = k
	}
	p.Address = address(b, p.Title)
	p.Phone = str(b, idxPhone...)
	p.Website = website(str(b, idxWebsite...))
	if r, ok := num(b, idxRating...); ok && r >= 0 && r <= 5 {
		p.Rating = &r
	}
	if n, ok := num(b, idxReviews...); ok && n >= 0 && n <= math.MaxInt32 && n == math.Trunc(n) {
		c := int64(n)
		p.Reviews = &c
	}
	for _, t := range arr(b, idxTypes...) {
		if s, ok := t.(string); ok && strings.TrimSpace(s) != "" && !slices.Contains(p.Types, strings.TrimSpace(s)) {
			p.Types = append(p.Types, strings.TrimSpace(s))
		}
	}
	if len(p.Types) > 0 {
		p.Type = p.Types[0]
	}
	p.Price = str(b, idxPrice...)
	p.Description = str(b, idxDescription...)
	p.OpenState = str(b, idxOpenState...)
	p.Timezone = str(b, idxTimezone...)
	p.WorkingHours = hours(b, p.Timezone)
	lat, okLat := num(b, idxLatitude...)
	lng, okLng := num(b, idxLongitude...)
	if okLat && okLng && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 {
		p.GPSCoordinates = &GPS{Latitude: lat, Longitude: lng}
	}
	p.PlusCode = str(b, idxPlusCode...)
	if p.PlusCode == "" && p.GPSCoordinates != nil {
		p.PlusCode = plusCode(lat, lng)
	}
	p.Thumbnail = str(b, idxThumbnail...)
	if cc := strings.ToUpper(str(b, idxCountry...)); len(cc) == 2 && cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' {
		p.CountryCode = cc
	}
	return p, true
}

// address joins the address lines, or else takes the one-line address
// without its "Title, " prefix.
func address(b []any, title string) string {
	var parts []string
	for _, a := range arr(b, idxAddressParts...) {
		if s, ok := a.(string); ok && strings.TrimSpace(s) != "" {
			parts = append(parts, strings.TrimSpace(s))
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, ", ")
	}
	full := str(b, idxFullAddress...)
	if title != "" {
		full = strings.TrimSpace(strings.TrimPrefix(full, title+","))
	}
	return full
}

// website removes Google's redirect ("/url?q=https://joes.example/&opi=…").
func website(raw string) string {
	if raw == "" {
		return ""
	}
	if strings.HasPrefix(raw, "/url?") || strings.Contains(raw, "google.com/url?") {
		if u, err := url.Parse(raw); err == nil {
			if q := strings.TrimSpace(u.Query().Get("q")); q != "" {
				return q
			}
			if q := strings.TrimSpace(u.Query().Get("url")); q != "" {
				return q
			}
		}
	}
	return raw
}

var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// hours reads the opening hours: the newer layout first, then the older.
func hours(b []any, tz string) *WorkingHours {
	var days []DayHours
	for _, d := range arr(b, idxHoursNew...) {
		if day, spans := str(d, 0), spanTexts(arr(d, 3), 0); day != "" && spans != "" {
			days = append(days, DayHours{Day: day, Time: spans, Hours: spans})
		}
	}
	if len(days) == 0 {
		for _, d := range arr(b, idxHoursOld...) {
			if day, spans := str(d, 0), spanTexts(arr(d, 1), -1); day != "" && spans != "" {
				days = append(days, DayHours{Day: day, Time: spans, Hours: spans})
			}
		}
	}
	if len(days) == 0 {
		return nil
	}
	english := true
	for _, d := range days {
		english = english && slices.Contains(weekdays, d.Day)
	}
	if english {
		slices.SortStableFunc(days, func(a, b DayHours) int {
			return slices.Index(weekdays, a.Day) - slices.Index(weekdays, b.Day)
		})
	}
	return &WorkingHours{Timezone: tz, Days: days}
}

// spanTexts joins a day's spans with ", ". A span is a string, or (idx >= 0)
// an array whose element idx is the string.
func spanTexts(spans []any, idx int) string {
	var out []string
	for _, s := range spans {
		var text string
		if idx < 0 {
			text, _ = s.(string)
		} else {
			text = str(s, idx)
		}
		if text = strings.TrimSpace(text); text != "" {
			out = append(out, text)
		}
	}
	return strings.Join(out, ", ")
}

// at walks v along path, each step an index into an array. It returns nil
// when a step is out of range or lands on something that is not an array.
func at(v any, path ...int) any {
	for _, i := range path {
		a, ok := v.([]any)
		if !ok || i < 0 || i >= len(a) {
			return nil
		}
		v = a[i]
	}
	return v
}

// str is the trimmed string at path, "" when there is none.
func str(v any, path ...int) string {
	s, _ := at(v, path...).(string)
	return strings.TrimSpace(s)
}

// num is the finite number at path.
func num(v any, path ...int) (float64, bool) {
	f, ok := at(v, path...).(float64)
	return f, ok && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// arr is the array at path, nil when there is none.
func arr(v any, path ...int) []any {
	a, _ := at(v, path...).([]any)
	return a
}
