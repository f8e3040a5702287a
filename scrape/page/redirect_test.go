package page

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/trawlhq/trawl/egress"
)

// blockPort returns a client that refuses to connect to port the way the
// egress guard refuses a private address, and connects elsewhere.
func blockPort(t *testing.T, port string) *http.Client {
	t.Helper()
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasSuffix(addr, ":"+port) {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%w: test", egress.ErrBlocked)}
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestStartRedirectsToBlocked: a site whose start page redirects to a blocked
// address gives a row that says it was blocked, and nothing else.
func TestStartRedirectsToBlocked(t *testing.T) {
	t.Parallel()
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the blocked server got %s", r.URL)
	}))
	t.Cleanup(private.Close)
	_, port, _ := net.SplitHostPort(private.Listener.Addr().String())
	for _, path := range []string{"/", "/contact"} {
		site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/robots.txt" {
				http.NotFound(w, r)
				return
			}
			http.Redirect(w, r, private.URL+"/admin", http.StatusFound)
		}))
		t.Cleanup(site.Close)
		got, credits, err := Extract(t.Context(), newFetcher(blockPort(t, port)), site.URL+path, SiteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Error, "blocked by the egress policy") || credits != 0 || len(got.PagesVisited) != 0 {
			t.Errorf("start %s: error %q, credits %d, pages %v; want the egress policy named and nothing read", path, got.Error, credits, got.PagesVisited)
		}
		if strings.Contains(got.Error, "127.0.0.1") {
			t.Errorf("error %q shows an address", got.Error)
		}
	}
}
