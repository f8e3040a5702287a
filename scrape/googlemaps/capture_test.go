package googlemaps

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var (
	capture     = flag.String("capture", "", `fetch the real Maps search "keyword|location" into testdata/search/<capture-name>/`)
	captureName = flag.String("capture-name", "", "the folder under testdata/search for -capture")
	captureURL  = flag.String("capture-url", DefaultBaseURL, "the base URL -capture searches")
	captureLang = flag.String("capture-hl", DefaultLanguage, "the language -capture searches in")
)

// TestCapture saves real responses as test data, to follow a change of
// Google's format (see doc.go):
//
//	go test ./scrape/googlemaps -run TestCapture -capture 'coffee shops|New York, NY' -capture-name coffee-new-york
//
// It fetches pages of 20 from offset 0 until a short page (at most 6), one a
// second, and writes each to <offset>.txt as received. It is skipped unless
// -capture is given: it goes to the network.
func TestCapture(t *testing.T) {
	if *capture == "" {
		t.Skip("no -capture")
	}
	term, location, ok := strings.Cut(*capture, "|")
	if !ok || *captureName == "" || strings.ContainsAny(*captureName, `/\.`) {
		t.Fatal(`-capture wants "keyword|location" and -capture-name a folder name`)
	}
	dir := filepath.Join("testdata", "search", *captureName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	for offset := 0; offset < 6*PageSize; offset += PageSize {
		u := SearchURL(*captureURL, Query(term, location), *captureLang, nil, offset)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Language", *captureLang)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, fmt.Sprintf("%d.txt", offset))
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
		page, err := ParseSearch(strings.NewReader(string(body)))
		t.Logf("%s: HTTP %d, %d bytes, %v", file, resp.StatusCode, len(body), describe(page, err))
		if err != nil || page.Entries < PageSize {
			return
		}
		time.Sleep(time.Second) // politeness between pages, not synchronisation
	}
}

func describe(p *Page, err error) string {
	if err != nil {
		return "unreadable: " + err.Error()
	}
	return fmt.Sprintf("%d entries, %d places", p.Entries, len(p.Places))
}
