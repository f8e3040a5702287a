package scrape

import (
	"errors"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLabelledProxies sends each request through the proxies labelled as it
// asks, and refuses a label no proxy has.
func TestLabelledProxies(t *testing.T) {
	t.Parallel()
	// Each fake proxy answers plain-http requests itself, naming itself.
	proxy := func(name string) string {
		return newTestServer(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(name)) }).URL
	}
	us, de := proxy("dc-us"), proxy("res-de")
	pool := mustPool(t, []string{us + "#type=datacenter&country=US", de + "#type=residential&country=de"}, ProxyPoolOptions{})
	f := proxiedFetcher(t, pool, nil)
	if !pool.Labelled() || !cmp.Equal(pool.Labels(), []string{"datacenter/US", "residential/DE"}) {
		t.Fatalf("labels: %v", pool.Labels())
	}
	for _, tt := range []struct {
		want ProxyLabel
		body string
	}{
		{ProxyLabel{Type: "datacenter", Country: "US"}, "dc-us"},
		{ProxyLabel{Country: "DE"}, "res-de"},
		{ProxyLabel{Type: "residential"}, "res-de"},
	} {
		for range 2 { // rotation never leaves the label
			resp, err := f.Fetch(WithProxyLabel(t.Context(), tt.want), Request{URL: "http://target.example/"})
			if err != nil || string(resp.Body) != tt.body {
				t.Fatalf("%v: got %v %v, want %s", tt.want, resp, err, tt.body)
			}
		}
		if route, ok := pool.Route(tt.want); !ok || route != tt.want.String() {
			t.Errorf("Route(%v) = %q, %v", tt.want, route, ok)
		}
	}
	missing := ProxyLabel{Type: "datacenter", Country: "JP"}
	if _, ok := pool.Route(missing); ok {
		t.Errorf("Route(%v) is ok", missing)
	}
	if _, err := f.Fetch(WithProxyLabel(t.Context(), missing), Request{URL: "http://target.example/"}); !errors.Is(err, ErrNoProxy) {
		t.Errorf("a label no proxy has: got %v, want ErrNoProxy", err)
	}

	// An unlabelled pool serves every label; no pool is direct.
	plain := mustPool(t, []string{us}, ProxyPoolOptions{})
	if route, ok := plain.Route(missing); !ok || route != "pool" {
		t.Errorf("unlabelled: %q %v", route, ok)
	}
	var none *ProxyPool
	if route, ok := none.Route(missing); !ok || route != "direct" {
		t.Errorf("no pool: %q %v", route, ok)
	}
	for _, bad := range []string{"http://p:1#type=mobile", "http://p:1#city=Paris", "http://p:1#%zz"} {
		if _, err := NewProxyPool([]string{bad}, ProxyPoolOptions{}); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
