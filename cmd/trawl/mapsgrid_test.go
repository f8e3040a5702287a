package main

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/trawlhq/trawl/scrape/googlemaps/mapstest"
)

// gridWorld is a fake Maps whose 64 coffee shops sit on an 8 × 8 lattice
// about 0.67 km apart around Springfield, IL. Like Google Maps, one search
// lists a limited number of places (here 40, where Maps lists about 120):
// the whole town's search gets 40 of them, a search of a viewport the ones
// inside it.
const searchCeiling = 40

func gridWorld(t *testing.T) (*mapstest.Server, map[string]bool) {
	t.Helper()
	const lat0, lng0 = 39.80, -89.65
	var shops []mapstest.Place
	all := map[string]bool{}
	for i := range 8 {
		for j := range 8 {
			p := mapstest.Place{Title: fmt.Sprintf("Shop %d-%d", i, j), PlaceID: fmt.Sprintf("ChIJgrid%02d%02d", i, j),
				DataID: fmt.Sprintf("0x%x:0x%x", 100+i, 200+j), Types: []string{"Coffee shop"},
				Latitude: lat0 + float64(i-4)*0.006 + 0.003, Longitude: lng0 + float64(j-4)*0.008 + 0.004}
			shops = append(shops, p)
			all[p.PlaceID] = true
		}
	}
	town := mapstest.Place{Title: "Springfield", PlaceID: "ChIJspringfield01", Latitude: lat0, Longitude: lng0}
	return mapstest.Start(t, mapstest.Options{Viewport: func(q string, lat, lng, zoom float64) []mapstest.Place {
		switch q {
		case "Springfield, IL":
			return []mapstest.Place{town}
		case "coffee shops Springfield, IL":
			return shops[:searchCeiling]
		case "coffee shops":
			// The viewport: 600 × 800 pixels of Web Mercator at zoom.
			mpp := 156543.03392 * math.Cos(lat*math.Pi/180) / math.Pow(2, zoom)
			dLat := 400 * mpp / 111320
			dLng := 300 * mpp / (111320 * math.Cos(lat*math.Pi/180))
			var in []mapstest.Place
			for _, p := range shops {
				if math.Abs(p.Latitude-lat) <= dLat && math.Abs(p.Longitude-lng) <= dLng && len(in) < searchCeiling {
					in = append(in, p)
				}
			}
			return in
		}
		return nil
	}}), all
}

func TestGoogleMapsGridSearch(t *testing.T) {
	t.Parallel()
	maps, all := gridWorld(t)
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir(), "TRAWL_GOOGLE_MAPS_URL": maps.URL}))

	// One search of the town: the ceiling.
	var plain jobRecord
	in.do("POST", "/scrapers/google-maps/jobs", `{"keywords": ["coffee shops"], "locations": ["Springfield, IL"]}`, &plain)
	// The grid: 2 km cells over the 6 km square around the town.
	var grid jobRecord
	if code := in.do("POST", "/scrapers/google-maps/jobs", `{"keywords": ["coffee shops"], "locations": ["Springfield, IL"],
		"grid": {"cellSizeKm": 2, "radiusKm": 3}}`, &grid); code != 200 {
		t.Fatalf("create: status %d", code)
	}
	if rec := in.waitTerminal(plain.ID, 120*time.Second); rec.Status != "finished" || rec.DataRowsCount != searchCeiling {
		t.Errorf("plain search: %+v, want the %d places one search lists", rec, searchCeiling)
	}
	rec := in.waitTerminal(grid.ID, 120*time.Second)
	if rec.Status != "finished" || rec.DataRowsCount != int64(len(all)) {
		t.Fatalf("grid search: %+v, want all %d places", rec, len(all))
	}
	seen := map[string]bool{}
	for _, row := range in.allRows(grid.ID) {
		id, _ := row["placeId"].(string)
		if seen[id] || !all[id] {
			t.Errorf("place %s stored twice or unknown", id)
		}
		seen[id] = true
		if row["location"] != "Springfield, IL" || row["keyword"] != "coffee shops" {
			t.Errorf("row %v", row)
		}
	}
	// The town is located once; 9 cells are searched; every search is a
	// credit.
	located, cells, searches := 0, map[[2]float64]bool{}, 0
	for _, r := range maps.Requests() {
		switch r.Query {
		case "Springfield, IL":
			located++
		case "coffee shops":
			searches++
			cells[[2]float64{r.Latitude, r.Longitude}] = true
			if r.Zoom < 12 || r.Zoom > 16 {
				t.Errorf("cell searched at zoom %v", r.Zoom)
			}
		}
	}
	if located != 1 || len(cells) != 9 {
		t.Errorf("located %d times, %d cells; want 1 and 9", located, len(cells))
	}
	if rec.CreditsSpent != int64(1+searches) {
		t.Errorf("creditsSpent %d, want %d (1 locate + %d searches)", rec.CreditsSpent, 1+searches, searches)
	}

	// Bounds given: no locating; a bad grid is a 422 on its field.
	var bounded jobRecord
	in.do("POST", "/scrapers/google-maps/jobs", `{"keywords": ["coffee shops"], "locations": ["Springfield, IL"], "limit": 50,
		"grid": {"cells": 4, "bounds": "39.77,-89.69,39.83,-89.61"}}`, &bounded)
	if rec := in.waitTerminal(bounded.ID, 120*time.Second); rec.Status != "finished" || rec.DataRowsCount != 50 {
		t.Errorf("bounded grid: %+v, want 50 rows (its limit)", rec)
	}
	var bad struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	for _, tt := range []struct{ grid, field string }{
		{`0`, "grid"}, {`{"cells": 4, "cellSizeKm": 2}`, "grid"}, {`{"cells": 0}`, "grid.cells"},
		{`{"cells": 4, "bounds": "1,2,3"}`, "grid.bounds"},
	} {
		bad.Errors = nil
		body := `{"keywords": ["coffee shops"], "locations": ["Springfield, IL"], "grid": ` + tt.grid + `}`
		if code := in.do("POST", "/scrapers/google-maps/jobs", body, &bad); code != 422 || len(bad.Errors) == 0 || bad.Errors[0].Field != tt.field {
			t.Errorf("grid %s: status %d, %+v; want 422 on %s", tt.grid, code, bad, tt.field)
		}
	}
}
