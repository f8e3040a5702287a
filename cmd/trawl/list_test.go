package main

import (
	"fmt"
	"slices"
	"testing"
)

// TestListReadsInChunks: a page longer than the chunks it is read in comes
// out whole, newest first, and paging still adds up.
func TestListReadsInChunks(t *testing.T) {
	t.Parallel()
	in := start(t, testEnv(map[string]string{"TRAWL_DATA_DIR": t.TempDir()}))
	var ids []int64
	for i := range 13 {
		var rec jobRecord
		if code := in.do("POST", "/scrapers/crawler/jobs", fmt.Sprintf(`{"urls":["http://127.0.0.1:1/%d"],"maxDepth":0}`, i), &rec); code != 200 {
			t.Fatalf("create: %d", code)
		}
		ids = append(ids, rec.ID)
	}
	slices.Reverse(ids)
	for _, tt := range []struct {
		query string
		want  []int64
	}{
		{"?limit=100", ids},
		{"?limit=11", ids[:11]},
		{"?limit=11&page=2", ids[11:]},
		{"?limit=5&page=2", ids[5:10]},
		{"?limit=6&page=3", ids[12:]},
		{"?limit=6&page=4", nil},
	} {
		var page struct {
			Meta struct {
				Total int64 `json:"total"`
			} `json:"meta"`
			Data []jobRecord `json:"data"`
		}
		if code := in.do("GET", "/scrapers/jobs"+tt.query, nil, &page); code != 200 {
			t.Fatalf("%s: %d", tt.query, code)
		}
		var got []int64
		for _, j := range page.Data {
			got = append(got, j.ID)
		}
		if !slices.Equal(got, tt.want) || page.Meta.Total != 13 {
			t.Errorf("%s: ids %v (total %d), want %v (13)", tt.query, got, page.Meta.Total, tt.want)
		}
	}
}
