package egress

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAllowHosts lets one configured host through by name; every other
// private destination stays refused, the same address under another name
// included.
func TestAllowHosts(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(srv.Close)
	c := NewClient(Options{AllowHosts: []string{"127.0.0.1"}})
	t.Cleanup(c.CloseIdleConnections)
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed host: %v", err)
	}
	resp.Body.Close()
	other := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := c.Get(other); !IsBlocked(err) {
		t.Fatalf("another name for the same address: got %v, want blocked", err)
	}
}
