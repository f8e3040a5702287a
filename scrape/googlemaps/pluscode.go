package googlemaps

import "math"

// Open Location Code ("plus code") encoding, as Google's reference
// implementations do it, for codes of the standard 10 digits (a cell of
// about 14 × 14 m). Used when a response has the coordinates of a place but
// not its plus code.
const (
	olcAlphabet   = "23456789CFGHJMPQRVWX"
	olcPairs      = 5            // 10 digits
	olcLatPrec    = 8000 * 3125  // integer steps per degree of latitude (with the grid digits)
	olcLngPrec    = 8000 * 1024  // and of longitude
	olcGridLatDiv = 3125         // 5^5: drops the latitude grid digits
	olcGridLngDiv = 1024         // 4^5: drops the longitude grid digits
	olcLatSteps   = 180 * 8000   // 10-digit latitude steps from pole to pole
	olcLngSteps   = 360 * 8000   // and longitude steps around the globe
	olcSeparator  = 8            // '+' goes after this many digits
	olcCodeLength = olcPairs * 2 // digits in a code
)

// plusCode returns the 10-digit plus code of a position ("87G8Q2JM+X9").
// Latitude is clipped to -90..90 and longitude wrapped into -180..180.
func plusCode(lat, lng float64) string {
	lat = math.Min(90, math.Max(-90, lat))
	lng = math.Mod(lng+180, 360)
	if lng < 0 {
		lng += 360
	}
	latVal := int64(math.Round(lat*olcLatPrec)) + 90*olcLatPrec
	lngVal := int64(math.Round((lng-180)*olcLngPrec)) + 180*olcLngPrec
	latVal /= olcGridLatDiv
	lngVal /= olcGridLngDiv
	latVal = min(max(latVal, 0), olcLatSteps-1) // the north pole is in the top row
	lngVal = ((lngVal % olcLngSteps) + olcLngSteps) % olcLngSteps
	var code [olcCodeLength + 1]byte
	for i := olcPairs - 1; i >= 0; i-- {
		code[2*i] = olcAlphabet[latVal%20]
		code[2*i+1] = olcAlphabet[lngVal%20]
		latVal /= 20
		lngVal /= 20
	}
	copy(code[olcSeparator+1:], code[olcSeparator:olcCodeLength])
	code[olcSeparator] = '+'
	return string(code[:])
}
