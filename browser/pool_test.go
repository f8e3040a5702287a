package browser

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/egress"
)

// testBundle is a pool with the egress guard on that allows exactly
// 127.0.0.1, so a local test site stands in for the public web while every
// other private address (127.0.0.2 included) stays refused.
type testBundle struct {
	pool *Pool
	obs  *fakeObserver
}

func setup(t *testing.T, mod func(*Config)) *testBundle {
	t.Helper()
	exe, err := FindChromium(os.Getenv)
	if err != nil {
		t.Skipf("no Chromium to test with (install Debian's chromium or set TRAWL_CHROMIUM): %v", err)
	}
	obs := &fakeObserver{restarts: map[string]int{}}
	cfg := Config{
		ExecPath:    exe,
		Tabs:        3,
		PageTimeout: 30 * time.Second,
		Egress:      egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Observer:    obs,
	}
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := p.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return &testBundle{pool: p, obs: obs}
}

type fakeObserver struct {
	mu       sync.Mutex
	rendered map[string]int
	restarts map[string]int
	maxBusy  int
}

func (o *fakeObserver) TabsBusy(n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxBusy = max(o.maxBusy, n)
}

func (o *fakeObserver) PageRendered(outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.rendered == nil {
		o.rendered = map[string]int{}
	}
	o.rendered[outcome]++
}

func (o *fakeObserver) BrowserRestarted(reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.restarts[reason]++
}

func (o *fakeObserver) restartCount(reason string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.restarts[reason]
}

const sitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://shop.test/a</loc></url></urlset>`

// site is the local test site.
func site(t *testing.T, mux *http.ServeMux) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func html(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!doctype html><html><head><title>t</title></head><body>"+body+"</body></html>")
}

func TestRender(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	t.Cleanup(func() { // after the parallel subtests
		b.obs.mu.Lock()
		defer b.obs.mu.Unlock()
		if b.obs.maxBusy < 1 || b.obs.maxBusy > b.pool.Tabs() {
			t.Errorf("at most %d tabs were busy, want 1 to %d", b.obs.maxBusy, b.pool.Tabs())
		}
		if b.obs.rendered["ok"] == 0 || b.obs.rendered["error"] == 0 {
			t.Errorf("pages rendered by outcome: %v, want both outcomes counted", b.obs.rendered)
		}
	})

	var heavyHits, trackerHits, popupHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/script", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<div id="out"></div><script>document.getElementById("out").textContent = "made " + "by script";</script>`)
	})
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<script>setTimeout(() => { document.body.insertAdjacentHTML("beforeend", '<p id="late">arrived late</p>'); }, 1000);</script>`)
	})
	mux.HandleFunc("/form", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<form id="f"><input id="name" name="name"><button id="go" type="submit">Go</button></form>
<script>document.getElementById("f").addEventListener("submit", e => {
  e.preventDefault();
  const p = document.createElement("p"); p.id = "greeting";
  p.textContent = "Hello, " + document.getElementById("name").value;
  document.body.appendChild(p);
});</script>`)
	})
	mux.HandleFunc("/tall", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<style>html, body { margin: 0; padding: 0 } #box { width: 1000px; height: 2345px; background: #3a6 }</style><div id="box"></div>`)
	})
	mux.HandleFunc("/heavy", func(w http.ResponseWriter, r *http.Request) {
		// The iframe is cross-site (localhost, not 127.0.0.1): its requests
		// are blocked too.
		html(w, `<link rel="stylesheet" href="/style.css"><img src="/img.png"><script src="/tracker.js"></script><script src="http://ads.doubleclick.net/ad.js"></script>
<iframe src="http://localhost:`+r.Host[strings.LastIndexByte(r.Host, ':')+1:]+`/framed"></iframe><p id="done">done</p>`)
	})
	mux.HandleFunc("/framed", func(w http.ResponseWriter, r *http.Request) { html(w, `<img src="/img.png?framed">`) })
	for _, p := range []string{"/style.css", "/img.png"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { heavyHits.Add(1) })
	}
	mux.HandleFunc("/tracker.js", func(w http.ResponseWriter, r *http.Request) { trackerHits.Add(1) })
	mux.HandleFunc("/rude", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<script>alert("hi"); confirm("sure?"); prompt("name?"); window.open("/popup?from=script");</script><a id="pop" href="/popup" target="_blank">pop</a><p id="after">after the dialogs</p>`)
	})
	mux.HandleFunc("/popup", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("from") == "script" {
			popupHits.Add(1)
		}
		html(w, `<p id="popped">in the same tab</p>`)
	})
	mux.HandleFunc("/sitemap.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, sitemap)
	})
	echo := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		io.WriteString(w, r.Header.Get("Cookie")+" "+r.Header.Get("X-Test"))
	}
	mux.HandleFunc("/echo", echo)
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "session=1" {
			http.Error(w, "no cookie", http.StatusForbidden)
			return
		}
		// localhost is another origin than 127.0.0.1.
		other := "http://localhost:" + r.Host[strings.LastIndexByte(r.Host, ':')+1:] + "/echo"
		html(w, `<script>
const show = (id, t) => { const p = document.createElement("p"); p.id = id; p.textContent = t; document.body.appendChild(p); };
fetch("/echo").then(r => r.text()).then(t => show("own", t)).then(() =>
fetch("`+other+`").then(r => r.text()).then(t => show("third", t)));
</script>`)
	})
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="x.bin"`)
		w.Write(bytes.Repeat([]byte{0}, 1<<16))
	})
	mux.HandleFunc("/data.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a": [1, 2]}`)
	})
	srv := site(t, mux)

	t.Run("content made by a script", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/script"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, `<div id="out">made by script</div>`) {
			t.Errorf("got HTML %q, want the div the script filled", pg.HTML)
		}
		if pg.StatusCode != 200 || pg.URL != srv.URL+"/script" || !strings.HasPrefix(pg.HTML, "<!DOCTYPE html>") {
			t.Errorf("got status %d, URL %q, HTML start %.20q; want 200, the page URL, a doctype", pg.StatusCode, pg.URL, pg.HTML)
		}
	})

	t.Run("waitFor an element that appears after a second", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/late", WaitFor: "#late"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, "arrived late") {
			t.Errorf("got HTML %q, want the late paragraph", pg.HTML)
		}
	})

	t.Run("a scenario fills a form and clicks", func(t *testing.T) {
		t.Parallel()
		steps, err := ParseScenario([]byte(`[{"fill": ["#name", "Ada"]}, {"click": "#go"}, {"waitFor": "#greeting"}, {"scrollY": 200}, {"evaluate": "document.title = 'done'"}]`))
		if err != nil {
			t.Fatal(err)
		}
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/form", Scenario: steps})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, `<p id="greeting">Hello, Ada</p>`) || !strings.Contains(pg.HTML, "<title>done</title>") {
			t.Errorf("got HTML %q, want the greeting and the new title", pg.HTML)
		}
	})

	t.Run("a missing element fails the step by name", func(t *testing.T) {
		t.Parallel()
		steps, err := ParseScenario([]byte(`[{"fill": ["#name", "Ada"]}, {"click": "#nope"}]`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = b.pool.Render(context.Background(), Request{URL: srv.URL + "/form", Scenario: steps})
		if want := `jsScenario step 2 (click "#nope"): no element matches the selector`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got error %v, want one containing %q", err, want)
		}
	})

	t.Run("a full-page screenshot has the page's size", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/tall", Screenshot: PNG})
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(pg.Screenshot))
		if err != nil {
			t.Fatalf("decode the screenshot: %v", err)
		}
		if got, want := img.Bounds().Size(), (struct{ X, Y int }{DefaultWindowWidth, 2345}); got.X != want.X || got.Y != want.Y {
			t.Errorf("got a %v screenshot, want %dx%d", got, want.X, want.Y)
		}
	})

	t.Run("blocking options keep requests from leaving", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{
			URL: srv.URL + "/heavy", BlockResources: true, BlockAds: true, BlockURLs: []string{"**/tracker.js"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if heavyHits.Load() != 0 || trackerHits.Load() != 0 {
			t.Errorf("got %d image/stylesheet and %d tracker requests at the site, want none", heavyHits.Load(), trackerHits.Load())
		}
		if pg.Blocked != 5 {
			t.Errorf("got %d blocked requests, want 5 (stylesheet, image, tracker, ad, the iframe's image)", pg.Blocked)
		}
	})

	t.Run("dialogs are dismissed and pop-ups never open", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/rude"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, "after the dialogs") {
			t.Errorf("got HTML %q, want the page after its dialogs", pg.HTML)
		}
		if n := popupHits.Load(); n != 0 {
			t.Errorf("got %d requests from window.open, want none", n)
		}
		// A link aimed at a new window opens in the page's own tab.
		steps, _ := ParseScenario([]byte(`[{"click": "#pop"}, {"waitFor": "#popped"}]`))
		pg, err = b.pool.Render(context.Background(), Request{URL: srv.URL + "/rude", Scenario: steps})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, "in the same tab") {
			t.Errorf("got HTML %q, want the linked page in the same tab", pg.HTML)
		}
	})

	t.Run("a document that is not HTML comes back as served", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/sitemap.xml"})
		if err != nil {
			t.Fatal(err)
		}
		if pg.HTML != sitemap || pg.ContentType != "application/xml" {
			t.Errorf("got %q (%s), want the XML as served", pg.HTML, pg.ContentType)
		}
		pg, err = b.pool.Render(context.Background(), Request{URL: srv.URL + "/data.json"})
		if err != nil {
			t.Fatal(err)
		}
		if pg.HTML != `{"a": [1, 2]}` || pg.ContentType != "application/json" {
			t.Errorf("got %q (%s), want the JSON as served", pg.HTML, pg.ContentType)
		}
	})

	t.Run("headers go to the page's own origin only", func(t *testing.T) {
		t.Parallel()
		pg, err := b.pool.Render(context.Background(), Request{
			URL: srv.URL + "/headers", Header: http.Header{"Cookie": {"session=1"}, "X-Test": {"yes"}}, WaitFor: "#third",
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(pg.HTML, `<p id="own">session=1 yes</p>`) || !strings.Contains(pg.HTML, `<p id="third"> </p>`) {
			t.Errorf("got HTML %q, want the headers on the page's own requests and none on the other origin's", pg.HTML)
		}
	})

	t.Run("downloads are refused", func(t *testing.T) {
		t.Parallel()
		_, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/download"})
		if err == nil || !strings.Contains(err.Error(), "ERR_ABORTED") {
			t.Errorf("render a download: got %v, want the navigation aborted", err)
		}
	})

	t.Run("file and other non-web URLs are refused", func(t *testing.T) {
		t.Parallel()
		for _, u := range []string{"file:///etc/passwd", "chrome://version", "ftp://example.org/"} {
			if _, err := b.pool.Render(context.Background(), Request{URL: u}); err == nil || !strings.Contains(err.Error(), "only http and https") {
				t.Errorf("render %s: got %v, want a refusal", u, err)
			}
		}
	})
}
