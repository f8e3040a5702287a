package scrape

import (
	"strings"
	"testing"
)

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct{ raw, want, err string }{
		{"", "https://example.org", ""},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", ""},
		{"https://stand-in.test/api/", "https://stand-in.test/api", ""},
		{"ftp://example.org", "", `maps URL "ftp://example.org": must be an absolute http or https URL with no query`},
		{"example.org", "", "must be an absolute"},
		{"https://example.org/?q=1", "", "with no query"},
		{"https://example.org/#top", "", "with no query"},
	} {
		got, err := BaseURL(tt.raw, "https://example.org/", "maps URL")
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("BaseURL(%q) = %q, %v; want %q, %q", tt.raw, got, err, tt.want, tt.err)
		}
	}
}
