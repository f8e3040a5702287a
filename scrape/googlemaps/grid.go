package googlemaps

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// Grid limits and defaults.
const (
	// MaxGridCells bounds the cells of one location (one search each, and
	// each search up to maxResultsPerQuery/20 pages).
	MaxGridCells = 400
	// DefaultGridRadiusKm is the half-width of the square searched around a
	// location found by name, when neither bounds nor coordinates say more.
	DefaultGridRadiusKm = 5
	maxGridRadiusKm     = 200
	minGridCellKm       = 0.2
	// viewportWidth and viewportHeight are the pixels of every search's
	// viewport (the pb's 1i and 2i).
	viewportWidth, viewportHeight = 600, 800
	// metersPerPixelAtZoom0 is the ground resolution of Web Mercator tiles
	// at zoom 0 on the equator; it halves with each zoom level.
	metersPerPixelAtZoom0 = 156543.03392
	kmPerDegreeLatitude   = 111.32
)

// Grid splits each location's area into cells and searches every term in
// each, so that a city yields far more places than the ~120 one search
// lists. The area is Bounds when given, else the viewport of the job's
// coordinates, else a square of RadiusKm around the location, which a
// first search for the location's name finds. Exactly one of CellSizeKm
// and Cells is set.
type Grid struct {
	CellSizeKm float64 `json:"cellSizeKm,omitempty"`
	Cells      int     `json:"cells,omitempty"`
	Bounds     *Bounds `json:"bounds,omitempty"`
	RadiusKm   float64 `json:"radiusKm,omitempty"`
}

// Bounds are a rectangle of latitudes and longitudes.
type Bounds struct {
	South float64 `json:"south"`
	West  float64 `json:"west"`
	North float64 `json:"north"`
	East  float64 `json:"east"`
}

// gridInput is "grid" as sent: a number (the cell size in km) or an object.
type gridInput struct {
	CellSizeKm json.RawMessage `json:"cellSizeKm"`
	Cells      json.RawMessage `json:"cells"`
	Bounds     json.RawMessage `json:"bounds"`
	RadiusKm   json.RawMessage `json:"radiusKm"`
}

// parseGrid reads "grid" into v's fields.
func parseGrid(v *trawl.Invalid, raw json.RawMessage) *Grid {
	var size float64
	if json.Unmarshal(raw, &size) == nil {
		if !(size >= minGridCellKm && size <= 2*maxGridRadiusKm) {
			v.Add("grid", "a cell size must be from %g to %d km", minGridCellKm, 2*maxGridRadiusKm)
			return nil
		}
		return &Grid{CellSizeKm: size, RadiusKm: DefaultGridRadiusKm}
	}
	var in gridInput
	if err := json.Unmarshal(raw, &in); err != nil {
		v.Add("grid", "must be a cell size in km, or an object with cellSizeKm or cells, and optional bounds and radiusKm")
		return nil
	}
	g := &Grid{RadiusKm: DefaultGridRadiusKm}
	number := func(field string, raw json.RawMessage, lo, hi float64) float64 {
		var f float64
		if err := json.Unmarshal(raw, &f); err != nil || !(f >= lo && f <= hi) {
			v.Add(field, "must be a number from %g to %g", lo, hi)
		}
		return f
	}
	if scrape.Present(in.CellSizeKm) {
		g.CellSizeKm = number("grid.cellSizeKm", in.CellSizeKm, minGridCellKm, 2*maxGridRadiusKm)
	}
	if scrape.Present(in.Cells) {
		n, err := scrape.StrictInt(in.Cells)
		if err != nil || n < 1 || n > MaxGridCells {
			v.Add("grid.cells", "must be a whole number from 1 to %d", MaxGridCells)
		}
		g.Cells = n
	}
	if (g.CellSizeKm > 0) == (g.Cells > 0) && !hasField(v, "grid.") {
		v.Add("grid", "give exactly one of cellSizeKm (the size of a cell) and cells (how many)")
	}
	if scrape.Present(in.RadiusKm) {
		g.RadiusKm = number("grid.radiusKm", in.RadiusKm, 0.1, maxGridRadiusKm)
	}
	if scrape.Present(in.Bounds) {
		b, msg := parseBounds(in.Bounds)
		if msg != "" {
			v.Add("grid.bounds", "%s", msg)
		}
		g.Bounds = b
	}
	return g
}

// parseBounds reads "south,west,north,east" or {south, west, north, east}.
func parseBounds(raw json.RawMessage) (*Bounds, string) {
	const want = "must be \"south,west,north,east\" in degrees, e.g. \"39.70,-89.75,39.88,-89.55\""
	var b Bounds
	var s string
	if json.Unmarshal(raw, &s) == nil {
		parts := strings.Split(s, ",")
		if len(parts) != 4 {
			return nil, want
		}
		var f [4]float64
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return nil, want
			}
			f[i] = x
		}
		b = Bounds{South: f[0], West: f[1], North: f[2], East: f[3]}
	} else if err := json.Unmarshal(raw, &b); err != nil {
		return nil, want
	}
	switch {
	case !(b.South >= -85 && b.North <= 85 && b.South < b.North):
		return nil, "latitudes must be from -85 to 85, south below north"
	case !(b.West >= -180 && b.East <= 180 && b.West < b.East):
		return nil, "longitudes must be from -180 to 180, west of east"
	case (b.North-b.South)*kmPerDegreeLatitude > 2*maxGridRadiusKm:
		return nil, fmt.Sprintf("the area may be at most %d km across", 2*maxGridRadiusKm)
	}
	return &b, ""
}

// around is the square of radiusKm around a point.
func around(lat, lng, radiusKm float64) Bounds {
	dLat := radiusKm / kmPerDegreeLatitude
	dLng := radiusKm / (kmPerDegreeLatitude * math.Max(math.Cos(lat*math.Pi/180), 0.01))
	return Bounds{South: math.Max(lat-dLat, -85), North: math.Min(lat+dLat, 85),
		West: math.Max(lng-dLng, -180), East: math.Min(lng+dLng, 180)}
}

// viewport is the area a search at c shows: viewportWidth × viewportHeight
// pixels at c's zoom.
func viewport(c *Coordinates) Bounds {
	mpp := metersPerPixelAtZoom0 * math.Cos(c.Latitude*math.Pi/180) / math.Pow(2, c.Zoom)
	halfW := viewportWidth / 2 * mpp / 1000
	halfH := viewportHeight / 2 * mpp / 1000
	dLat := halfH / kmPerDegreeLatitude
	dLng := halfW / (kmPerDegreeLatitude * math.Max(math.Cos(c.Latitude*math.Pi/180), 0.01))
	return Bounds{South: c.Latitude - dLat, North: c.Latitude + dLat, West: c.Longitude - dLng, East: c.Longitude + dLng}
}

// Cells splits b into the cells of g, west to east then south to north,
// each a viewport: its centre, and the zoom whose viewport's width (the
// shorter side) covers the cell.
func (g *Grid) cells(b Bounds) []Coordinates {
	midLat := (b.South + b.North) / 2
	cos := math.Max(math.Cos(midLat*math.Pi/180), 0.01)
	heightKm := (b.North - b.South) * kmPerDegreeLatitude
	widthKm := (b.East - b.West) * kmPerDegreeLatitude * cos
	nx, ny := 1, 1
	if g.CellSizeKm > 0 {
		nx, ny = int(math.Ceil(widthKm/g.CellSizeKm-1e-9)), int(math.Ceil(heightKm/g.CellSizeKm-1e-9))
	} else {
		n := int(math.Ceil(math.Sqrt(float64(g.Cells)) - 1e-9))
		nx, ny = n, n
	}
	nx, ny = max(nx, 1), max(ny, 1)
	for nx*ny > MaxGridCells { // keep the count bounded: larger cells
		if nx >= ny {
			nx--
		} else {
			ny--
		}
	}
	cellW := widthKm / float64(nx)
	cellH := heightKm / float64(ny)
	side := math.Max(cellW, cellH*viewportWidth/viewportHeight)
	var out []Coordinates
	for j := range ny {
		for i := range nx {
			lat := b.South + (float64(j)+0.5)*(b.North-b.South)/float64(ny)
			lng := b.West + (float64(i)+0.5)*(b.East-b.West)/float64(nx)
			mpp := side * 1000 / viewportWidth
			zoom := math.Log2(metersPerPixelAtZoom0 * math.Cos(lat*math.Pi/180) / mpp)
			zoom = math.Min(math.Max(math.Floor(zoom*10)/10, 3), 21)
			out = append(out, Coordinates{Latitude: round4(lat), Longitude: round4(lng), Zoom: zoom})
		}
	}
	return out
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }
