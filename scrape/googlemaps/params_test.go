package googlemaps

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trawlhq/trawl"
)

func TestParseParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want *Params
	}{
		{"HasData's example", `{"keywords":["coffee shops"],"locations":["CUSTOM>New York, NY"],"extractEmails":true,"limit":100,
			"webhook":{"url":"https://h.example/"}}`,
			&Params{Keywords: []string{"coffee shops"}, Locations: []string{"New York, NY"}, ExtractEmails: true,
				Language: "en", MaxResultsPerQuery: 120}},
		{"plain location, trimming, repeats ignoring case, unknown fields", `{"keywords":[" Pizza ","pizza","Bars"],
			"locations":["Chicago, IL","custom> chicago, il","CUSTOM>Austin, TX"],"domain":"google.de","country":"DE"}`,
			&Params{Keywords: []string{"Pizza", "Bars"}, Locations: []string{"Chicago, IL", "Austin, TX"}, Language: "en",
				MaxResultsPerQuery: 120}},
		{"categories only, every option", `{"categories":["dentist"],"locations":["Berlin"],"language":"de",
			"maxResultsPerQuery":40,"coordinates":"@52.52, 13.405,12.5z","extractEmails":false}`,
			&Params{Categories: []string{"dentist"}, Locations: []string{"Berlin"}, Language: "de", MaxResultsPerQuery: 40,
				Coordinates: &Coordinates{Latitude: 52.52, Longitude: 13.405, Zoom: 12.5}}},
		{"coordinates without @ and z; null fields", `{"keywords":["x"],"locations":["y"],"coordinates":"-33.86,151.2,14",
			"language":null,"categories":null}`,
			&Params{Keywords: []string{"x"}, Locations: []string{"y"}, Language: "en", MaxResultsPerQuery: 120,
				Coordinates: &Coordinates{Latitude: -33.86, Longitude: 151.2, Zoom: 14}}},
		{"language with a region", `{"keywords":["x"],"locations":["y"],"language":"pt-BR"}`,
			&Params{Keywords: []string{"x"}, Locations: []string{"y"}, Language: "pt-BR", MaxResultsPerQuery: 120}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseParams([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseParams: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseParamsTerms(t *testing.T) {
	t.Parallel()
	p, err := ParseParams([]byte(`{"keywords":["Dentist","cafe"],"categories":["dentist","bakery"],"locations":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Terms(), []string{"Dentist", "cafe", "bakery"}; !cmp.Equal(got, want) {
		t.Errorf("Terms: got %q, want %q", got, want)
	}
}

func TestParseParamsInvalid(t *testing.T) {
	t.Parallel()
	many := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("%q", fmt.Sprintf("term %d", i))
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	long := `"` + strings.Repeat("a", 201) + `"`
	tests := []struct {
		body  string
		field string
	}{
		{`{"locations":["x"]}`, "keywords"},
		{`{"keywords":[],"locations":["x"]}`, "keywords"},
		{`{"keywords":"coffee","locations":["x"]}`, "keywords"},
		{`{"keywords":["ok",""],"locations":["x"]}`, "keywords[1]"},
		{`{"keywords":[` + long + `],"locations":["x"]}`, "keywords[0]"},
		{`{"keywords":` + many(101) + `,"locations":["x"]}`, "keywords"},
		{`{"keywords":` + many(60) + `,"categories":["c1","c2","c3","c4","c5","c6","c7","c8","c9","c10","c11","c12","c13",` +
			`"c14","c15","c16","c17","c18","c19","c20","c21","c22","c23","c24","c25","c26","c27","c28","c29","c30","c31",` +
			`"c32","c33","c34","c35","c36","c37","c38","c39","c40","c41"],"locations":["x"]}`, "keywords"},
		{`{"keywords":["x"],"categories":[1],"locations":["x"]}`, "categories"},
		{`{"keywords":["x"]}`, "locations"},
		{`{"keywords":["x"],"locations":[]}`, "locations"},
		{`{"keywords":["x"],"locations":["CUSTOM>"]}`, "locations[0]"},
		{`{"keywords":["x"],"locations":` + many(101) + `}`, "locations"},
		{`{"keywords":["x"],"locations":["y"],"extractEmails":"yes"}`, "extractEmails"},
		{`{"keywords":["x"],"locations":["y"],"language":"english"}`, "language"},
		{`{"keywords":["x"],"locations":["y"],"language":7}`, "language"},
		{`{"keywords":["x"],"locations":["y"],"maxResultsPerQuery":0}`, "maxResultsPerQuery"},
		{`{"keywords":["x"],"locations":["y"],"maxResultsPerQuery":501}`, "maxResultsPerQuery"},
		{`{"keywords":["x"],"locations":["y"],"maxResultsPerQuery":"20"}`, "maxResultsPerQuery"},
		{`{"keywords":["x"],"locations":["y"],"maxResultsPerQuery":2.5}`, "maxResultsPerQuery"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":"@91,10,12z"}`, "coordinates"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":"@10,-181,12z"}`, "coordinates"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":"@10,10,22z"}`, "coordinates"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":"@10,10,0z"}`, "coordinates"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":"New York"}`, "coordinates"},
		{`{"keywords":["x"],"locations":["y"],"coordinates":[40.7,-74,12]}`, "coordinates"},
	}
	for _, tt := range tests {
		_, err := ParseParams([]byte(tt.body))
		e, ok := err.(*trawl.Error)
		if !ok || e.Code != trawl.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
			t.Errorf("ParseParams(%.80s): got %v, want EINVALID on %s", tt.body, err, tt.field)
		}
	}
	if _, err := ParseParams([]byte(`[1]`)); trawl.ErrorCode(err) != trawl.EMALFORMED {
		t.Errorf("ParseParams([1]): got %v, want EMALFORMED", err)
	}
}
