package googlemaps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/trawlhq/trawl"
	"github.com/trawlhq/trawl/scrape"
)

// kindLocate finds where a location is, for a grid search over it.
const kindLocate = "locate"

// locateTask finds a location's centre: a search for its name, whose first
// place with coordinates (the town, the district) is taken as the centre.
type locateTask struct {
	Location string `json:"location"`
}

// gridSchema describes "grid" for GET /scrapers.
func gridSchema() map[string]any {
	return map[string]any{
		"description": "Grid search: split each location's area into cells and search each one, so that a city gives " +
			"far more places than one search's ~120. A number is the cell size in km; an object gives cellSizeKm or " +
			"cells, and optionally bounds (\"south,west,north,east\") and radiusKm (default 5: the half-width of the " +
			"square searched around a location found by name). Each cell costs at least one search (one credit) per term.",
		"oneOf": []any{
			map[string]any{"type": "number", "minimum": minGridCellKm, "maximum": 2 * maxGridRadiusKm},
			map[string]any{"type": "object", "properties": map[string]any{
				"cellSizeKm": map[string]any{"type": "number", "minimum": minGridCellKm, "maximum": 2 * maxGridRadiusKm},
				"cells":      map[string]any{"type": "integer", "minimum": 1, "maximum": MaxGridCells},
				"bounds":     map[string]any{"type": "string", "description": "south,west,north,east in degrees"},
				"radiusKm":   map[string]any{"type": "number", "minimum": 0.1, "maximum": maxGridRadiusKm},
			}},
		},
	}
}

// planGrid returns a grid job's first tasks: the cells of every term ×
// location when the area is known (bounds or coordinates), else a locate
// task per location.
func planGrid(p *Params) ([]trawl.TaskSpec, error) {
	var specs []trawl.TaskSpec
	for _, loc := range p.Locations {
		var area *Bounds
		switch {
		case p.Grid.Bounds != nil:
			area = p.Grid.Bounds
		case p.Coordinates != nil:
			b := viewport(p.Coordinates)
			area = &b
		}
		if area == nil {
			payload, err := json.Marshal(task{Kind: kindLocate, Locate: &locateTask{Location: loc}})
			if err != nil {
				return nil, err
			}
			specs = append(specs, trawl.TaskSpec{Key: "locate:" + loc, Payload: payload})
			continue
		}
		cells, err := cellSpecs(p, loc, *area)
		if err != nil {
			return nil, err
		}
		specs = append(specs, cells...)
	}
	return specs, nil
}

// cellSpecs are the first pages of every term in every cell of area.
func cellSpecs(p *Params, loc string, area Bounds) ([]trawl.TaskSpec, error) {
	var specs []trawl.TaskSpec
	for i, c := range p.Grid.cells(area) {
		for _, term := range p.Terms() {
			spec, err := searchSpec(searchTask{Term: term, Location: loc, Cell: &c, CellIndex: i})
			if err != nil {
				return nil, err
			}
			specs = append(specs, spec)
		}
	}
	return specs, nil
}

// locate searches a location's name and grids the square of the grid's
// radius around the first place it lists with coordinates. A location
// Maps does not find yields nothing.
func (s *Scraper) locate(ctx context.Context, p *Params, lt *locateTask) (*scrape.Result, error) {
	u := SearchURL(s.base, lt.Location, p.Language, nil, 0)
	body, err := s.get(ctx, u, p.Language)
	if err != nil {
		return nil, fmt.Errorf("google maps locate %q: %w", lt.Location, err)
	}
	page, err := ParseSearch(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("google maps locate %q: %w (from %s)", lt.Location, err, u)
	}
	res := &scrape.Result{Credits: 1}
	for _, pl := range page.Places {
		if pl.GPSCoordinates == nil {
			continue
		}
		res.Next, err = cellSpecs(p, lt.Location, around(pl.GPSCoordinates.Latitude, pl.GPSCoordinates.Longitude, p.Grid.RadiusKm))
		return res, err
	}
	return res, nil
}
