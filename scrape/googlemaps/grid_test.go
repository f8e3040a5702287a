package googlemaps

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/trawlhq/trawl"
)

func TestGridCells(t *testing.T) {
	t.Parallel()
	area := around(39.8, -89.65, 6) // 12 km square
	for _, tt := range []struct {
		grid Grid
		want int
	}{
		{Grid{CellSizeKm: 3}, 16},
		{Grid{CellSizeKm: 5}, 9},
		{Grid{CellSizeKm: 12}, 1},
		{Grid{Cells: 9}, 9},
		{Grid{Cells: 10}, 16},                     // rounded up to a square
		{Grid{CellSizeKm: 0.2}, MaxGridCells - 0}, // capped
	} {
		cells := tt.grid.cells(area)
		if len(cells) > MaxGridCells || (tt.want != MaxGridCells && len(cells) != tt.want) {
			t.Errorf("%+v: %d cells, want %d", tt.grid, len(cells), tt.want)
		}
		for _, c := range cells {
			if c.Latitude < area.South || c.Latitude > area.North || c.Longitude < area.West || c.Longitude > area.East {
				t.Errorf("%+v: cell %+v outside the area", tt.grid, c)
			}
			// The cell's viewport covers the cell.
			v := viewport(&c)
			if w := (v.East - v.West) * kmPerDegreeLatitude * math.Cos(c.Latitude*math.Pi/180); len(cells) == tt.want &&
				w < 12/math.Sqrt(float64(len(cells)))*0.99 {
				t.Errorf("%+v: a cell's viewport is %.2f km wide", tt.grid, w)
			}
		}
	}
}

func TestParseGrid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw   string
		want  *Grid
		field string
	}{
		{`2.5`, &Grid{CellSizeKm: 2.5, RadiusKm: DefaultGridRadiusKm}, ""},
		{`{"cells": 16, "radiusKm": 10}`, &Grid{Cells: 16, RadiusKm: 10}, ""},
		{`{"cellSizeKm": 1, "bounds": "39.7,-89.8,39.9,-89.5"}`, &Grid{CellSizeKm: 1, RadiusKm: DefaultGridRadiusKm,
			Bounds: &Bounds{South: 39.7, West: -89.8, North: 39.9, East: -89.5}}, ""},
		{`{"cellSizeKm": 1, "bounds": {"south": 1, "west": 2, "north": 1.1, "east": 2.1}}`, &Grid{CellSizeKm: 1,
			RadiusKm: DefaultGridRadiusKm, Bounds: &Bounds{South: 1, West: 2, North: 1.1, East: 2.1}}, ""},
		{`0.01`, nil, "grid"},
		{`"big"`, nil, "grid"},
		{`{}`, nil, "grid"},
		{`{"cells": 1000}`, nil, "grid.cells"},
		{`{"cells": 4, "bounds": "40,1,39,2"}`, nil, "grid.bounds"},
		{`{"cells": 4, "radiusKm": 0}`, nil, "grid.radiusKm"},
	} {
		var v trawl.Invalid
		g := parseGrid(&v, json.RawMessage(tt.raw))
		switch {
		case tt.field != "" && (len(v.Fields) == 0 || v.Fields[0].Field != tt.field):
			t.Errorf("%s: errors %+v, want one on %s", tt.raw, v.Fields, tt.field)
		case tt.field == "" && (len(v.Fields) > 0 || !jsonEqual(g, tt.want)):
			t.Errorf("%s: got %+v (errors %+v), want %+v", tt.raw, g, v.Fields, tt.want)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestReviewsParams(t *testing.T) {
	t.Parallel()
	p, err := ParseReviewsParams([]byte(`{"placeIds": ["ChIJN1t_tDeuEmsRUsoyG83frY4", "0x1:0x2"],
		"urls": ["https://www.google.com/maps/place/x/data=!4m2!3m1!1s0x1:0x2", "https://maps.google.com/?q=place_id:ChIJN1t_tDeuEmsRUsoyG83frY4"],
		"sortBy": "lowestRating"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := &ReviewsParams{PlaceIDs: []string{"ChIJN1t_tDeuEmsRUsoyG83frY4"}, DataIDs: []string{"0x1:0x2"}, SortBy: SortRatingLow, Language: "en"}
	if !jsonEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
}
