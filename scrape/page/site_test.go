package page

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/scrape"
)

// sites serves testdata/sites/<host>/ for whatever host a request names: "/"
// is index.html, "/a/b" is a/b.html or a/b/index.html, robots.txt is served
// when present, a redirect.txt sends every request to the URL it holds (plus
// the path). A host without a folder answers 404 to everything. It counts
// requests by host and path.
type sites struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newSites(t *testing.T) *sites {
	t.Helper()
	s := &sites{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *sites) serve(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	s.mu.Lock()
	s.hits[host+r.URL.Path]++
	s.mu.Unlock()
	dir := filepath.Join("testdata", "sites", filepath.FromSlash(path.Clean("/" + host))[1:])
	if target, err := os.ReadFile(filepath.Join(dir, "redirect.txt")); err == nil {
		http.Redirect(w, r, strings.TrimSpace(string(target))+r.URL.RequestURI(), http.StatusMovedPermanently)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	var names []string
	switch {
	case p == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		names = []string{"robots.txt"}
	case p == "/":
		names = []string{"index.html"}
	case strings.HasSuffix(p, ".html"):
		names = []string{p[1:]}
	default:
		names = []string{p[1:] + ".html", p[1:] + "/index.html"}
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
		if err != nil {
			continue
		}
		if strings.HasSuffix(n, ".html") {
			w.Header().Set("Content-Type", "text/html") // the charset is in the page
		}
		w.Write(b)
		return
	}
	http.NotFound(w, r)
}

func (s *sites) hitCount(hostPath string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[hostPath]
}

// fetcher returns a Fetcher whose every connection goes to the sites server,
// whatever host the URL names, so that the pages keep their real host names
// (ccTLDs, www redirects, own-domain ranking).
func (s *sites) fetcher(t *testing.T) *scrape.Fetcher {
	t.Helper()
	return dialAllFetcher(t, s.Listener.Addr().String())
}

// dialAllFetcher returns a Fetcher that connects to addr whatever the host.
func dialAllFetcher(t *testing.T, addr string) *scrape.Fetcher {
	t.Helper()
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return newFetcher(&http.Client{Transport: tr})
}

func newFetcher(c *http.Client) *scrape.Fetcher {
	return scrape.NewFetcher(scrape.FetcherOptions{Client: c, PerHostRate: 1000, RetryBaseDelay: time.Millisecond})
}

// golden is a golden file: the Extract result of one site.
type golden struct {
	Credits int64     `json:"credits"`
	Row     *Contacts `json:"row"`
}

func TestExtractGolden(t *testing.T) {
	t.Parallel()
	srv := newSites(t)
	f := srv.fetcher(t)
	tests := []struct {
		name string
		url  string
		opts SiteOptions
	}{
		// A German bakery: www redirect, Cloudflare, JSON-LD, robots.txt,
		// a 404 link, (punkt) spelling, retina file names, Sentry and Wix.
		{"baeckerei-sonnenschein.de", "http://baeckerei-sonnenschein.de/", SiteOptions{}},
		// A US studio on .com: region from JSON-LD, multi-recipient mailto,
		// microdata, spelled-out addresses, placeholders, npm versions,
		// hex and overlong local parts, share links, profile-or-not links.
		{"northwind-studio.com", "http://northwind-studio.com/", SiteOptions{}},
		// A Japanese restaurant in Shift_JIS with full-width ＠ and ．.
		{"sakura-ramen.jp", "http://sakura-ramen.jp/", SiteOptions{}},
		// A British café given without a scheme: broken JSON-LD, robots.txt.
		{"harbour-cafe.co.uk", "harbour-cafe.co.uk", SiteOptions{}},
		// A deep start page on a generic ccTLD: the home page is read for
		// its contact link; only numbers with a + are kept.
		{"pixelforge.io", "http://pixelforge.io/products/forge-cli", SiteOptions{}},
		// No such site: every page is a 404.
		{"closed-shop.net", "http://closed-shop.net/", SiteOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, credits, err := Extract(t.Context(), f, tt.url, tt.opts)
			if err != nil {
				t.Fatalf("Extract(%q): %v", tt.url, err)
			}
			got := golden{Credits: credits, Row: row}
			file := filepath.Join("testdata", "golden", tt.name+".json")
			if *updateGolden {
				b, err := json.MarshalIndent(got, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			var want golden
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.url, diff)
			}
			rowJSON, err := json.Marshal(row)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(rowJSON), "null") {
				t.Errorf("row JSON has a null: %s", rowJSON)
			}
		})
	}
	t.Cleanup(func() {
		// robots.txt-disallowed pages are never requested.
		for _, p := range []string{"www.baeckerei-sonnenschein.de/intern/kontakt", "www.harbour-cafe.co.uk/staff-only/contacts"} {
			if n := srv.hitCount(p); n != 0 {
				t.Errorf("%s was requested %d times despite robots.txt", p, n)
			}
		}
	})
}

func TestExtractRowJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(&Contacts{URL: "http://a.example/", Error: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if diff := cmp.Diff(ContactColumns(), keys); diff != "" {
		t.Errorf("row keys are not the columns in order (-columns +keys):\n%s", diff)
	}
}

func TestExtractSiteErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			w.Write([]byte("User-agent: *\nDisallow: /private\n"))
		case "/broken":
			w.WriteHeader(http.StatusInternalServerError)
		case "/menu.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	plain := newFetcher(&http.Client{Transport: tr})

	guarded := egress.NewClient(egress.Options{})
	t.Cleanup(guarded.CloseIdleConnections)
	noDNS := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "gone.example", IsNotFound: true}
	}}
	t.Cleanup(noDNS.CloseIdleConnections)

	tests := []struct {
		name    string
		f       *scrape.Fetcher
		url     string
		opts    SiteOptions
		want    string
		credits int64
	}{
		{"egress guard", newFetcher(guarded), srv.URL + "/", SiteOptions{},
			"The destination is blocked by the egress policy: trawl does not fetch loopback, private, " +
				"link-local or reserved addresses (an operator can allow private networks with TRAWL_ALLOW_PRIVATE_NETWORKS=true).", 0},
		{"dns", newFetcher(&http.Client{Transport: noDNS}), "http://gone.example/", SiteOptions{}, "Could not resolve host gone.example.", 0},
		{"robots.txt", plain, srv.URL + "/private", SiteOptions{}, "Disallowed by robots.txt.", 0},
		{"500 then 404 home", plain, srv.URL + "/broken", SiteOptions{}, "HTTP 500 Internal Server Error", 0},
		{"not html", plain, srv.URL + "/menu.pdf", SiteOptions{MaxPages: -1}, "Not an HTML page (content type application/pdf).", 1},
		{"not a url", plain, "mailto:a@b.example", SiteOptions{}, "Not an http or https URL.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, credits, err := Extract(t.Context(), tt.f, tt.url, tt.opts)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got.Error != tt.want || credits != tt.credits {
				t.Errorf("Extract(%q): error %q, credits %d; want %q, %d", tt.url, got.Error, credits, tt.want, tt.credits)
			}
			for _, l := range [][]string{got.Emails, got.PhoneNumbers, got.PagesVisited, got.LinkedIn, got.GitHub} {
				if l == nil || len(l) != 0 {
					t.Errorf("list %v: want empty, not nil", l)
				}
			}
		})
	}
}

func TestExtractContextEnds(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case started <- struct{}{}:
		default:
		}
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-started // the page is being fetched: end the context mid-request
		cancel()
	}()
	got, _, err := Extract(ctx, newFetcher(&http.Client{Transport: tr}), srv.URL, SiteOptions{IgnoreRobots: true})
	if !errors.Is(err, context.Canceled) || got != nil {
		t.Fatalf("Extract: got (%v, %v), want context.Canceled", got, err)
	}
}

func TestExtractTimeoutKeepsWhatWasFound(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			w.Write([]byte(`<html><body>info@slow-site.com <a href="/contact">Contact</a></body></html>`))
			return
		}
		select { // the contact page never answers in time
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	got, credits, err := Extract(t.Context(), newFetcher(&http.Client{Transport: tr}), srv.URL,
		SiteOptions{IgnoreRobots: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	if diff := cmp.Diff([]string{"info@slow-site.com"}, got.Emails); diff != "" || credits != 1 || got.Error != "" {
		t.Errorf("Extract: emails %v (diff %s), credits %d, error %q; want the home page's email, 1 credit, no error",
			got.Emails, diff, credits, got.Error)
	}
}

// TestExtractNonUTF8 reads pages whose charset only the Content-Type header
// names; the addresses come out only if the page is decoded.
func TestExtractNonUTF8(t *testing.T) {
	t.Parallel()
	pages := map[string]struct {
		contentType string
		body        []byte
	}{
		// "Büro@" must not turn into "ro@": ü is 0xFC in Latin-1.
		"/latin1": {"text/html; charset=ISO-8859-1",
			[]byte("<html><body><p>B\xfcro@firma-mueller.de</p><p>Kontakt: kontakt@firma-mueller.de \xb7 Stra\xdfe 1</p></body></html>")},
		// info＠ (full-width at, 0x81 0x97 in Shift_JIS).
		"/sjis": {"text/html; charset=Shift_JIS",
			[]byte("<html><body><p>\x83\x81\x81[\x83\x8b\x81Finfo\x81\x97tokyo-sushi.jp</p></body></html>")},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p.contentType)
		w.Write(p.body)
	}))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	f := newFetcher(&http.Client{Transport: tr})
	for path, want := range map[string][]string{
		"/latin1": {"kontakt@firma-mueller.de"},
		"/sjis":   {"info@tokyo-sushi.jp"},
	} {
		got, _, err := Extract(t.Context(), f, srv.URL+path, SiteOptions{MaxPages: -1, IgnoreRobots: true})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Emails); diff != "" {
			t.Errorf("%s emails (-want +got):\n%s", path, diff)
		}
	}
}

func TestExtractIgnoresOffSiteRedirects(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits = append(hits, r.Host+r.URL.Path)
		mu.Unlock()
		switch r.Host + r.URL.Path {
		case "shop-example.de/":
			w.Write([]byte(`<a href="/kontakt">Kontakt</a> info@shop-example.de`))
		case "shop-example.de/kontakt":
			http.Redirect(w, r, "http://forms.other-provider.com/f/123", http.StatusFound)
		case "forms.other-provider.com/f/123":
			w.Write([]byte(`<p>support@other-provider.com</p>`))
		case "www.facebook.com/AcmeTools":
			w.Write([]byte(`<a href="/contact">Contact</a> <a href="https://www.instagram.com/acmetools">IG</a>`))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	f := dialAllFetcher(t, srv.Listener.Addr().String())

	got, credits, err := Extract(t.Context(), f, "http://shop-example.de/", SiteOptions{IgnoreRobots: true})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(got.Emails, []string{"info@shop-example.de"}) || !cmp.Equal(got.PagesVisited, []string{"http://shop-example.de/"}) || credits != 2 {
		t.Errorf("off-site redirect: emails %v, pages %v, credits %d; want the shop's own only, 2 credits", got.Emails, got.PagesVisited, credits)
	}

	// A business whose website is its Facebook page: that page only.
	got, _, err = Extract(t.Context(), f, "http://www.facebook.com/AcmeTools", SiteOptions{IgnoreRobots: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Profiles{Facebook: []string{"https://www.facebook.com/acmetools"}, Instagram: []string{"https://www.instagram.com/acmetools"}}
	if diff := cmp.Diff(want, emptyToNil(got.Profiles)); diff != "" || len(got.PagesVisited) != 1 {
		t.Errorf("social site: pages %v, profiles (-want +got):\n%s", got.PagesVisited, diff)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, h := range hits {
		if h == "www.facebook.com/contact" {
			t.Errorf("followed a link on a social network: %v", hits)
		}
	}
}

// emptyToNil turns the empty lists of p into nil, for comparisons.
func emptyToNil(p Profiles) Profiles {
	for _, n := range networks() {
		if l := p.list(n); len(*l) == 0 {
			*l = nil
		}
	}
	return p
}
