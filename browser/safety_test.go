package browser

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trawlhq/trawl/egress"
)

// probe listens on 127.0.0.2, a private address the test guard refuses, and
// counts every connection that reaches it.
func probe(t *testing.T) (addr string, hits *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	hits = new(atomic.Int64)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String(), hits
}

func TestGuardHoldsForTheBrowser(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	private, hits := probe(t)

	mux := http.NewServeMux()
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+private+"/after-redirect", http.StatusFound)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		html(w, fmt.Sprintf(`<iframe src="http://%[1]s/frame"></iframe><iframe src="/redirect"></iframe><img id="img" src="http://%[1]s/img.png" onerror="this.className='failed'">
<img src="http://169.254.169.254/latest/meta-data/">
<script>
const out = document.createElement("p");
Promise.allSettled([
  fetch("http://%[1]s/xhr"),
  fetch("https://%[1]s/tls"),
  fetch("http://169.254.169.254/latest/meta-data/"),
  new Promise((ok, fail) => { const ws = new WebSocket("ws://%[1]s/ws"); ws.onopen = ok; ws.onerror = fail; }),
]).then(rs => { out.id = "out"; out.textContent = rs.map(r => r.status).join(","); document.body.appendChild(out); });
</script>`, private))
	})
	srv := site(t, mux)

	pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/", WaitFor: "#out"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pg.HTML, `<p id="out">rejected,rejected,rejected,rejected</p>`) {
		t.Errorf("got HTML %q, want every script request to the private addresses rejected", pg.HTML)
	}
	if !strings.Contains(pg.HTML, `class="failed"`) {
		t.Errorf("got HTML %q, want the private image to fail", pg.HTML)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("got %d connections at the private address, want none", n)
	}
	if !b.pool.proxy.wasBlocked(private) {
		t.Errorf("the proxy did not record refusing %s", private)
	}

	// A page on the private address itself is refused, by name, also when
	// reached by a redirect or over TLS (a CONNECT tunnel).
	for _, u := range []string{"http://" + private + "/", srv.URL + "/redirect", "https://" + private + "/"} {
		_, err = b.pool.Render(context.Background(), Request{URL: u})
		if !egress.IsBlocked(err) {
			t.Errorf("render %s: got %v, want an egress refusal", u, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("got %d connections at the private address, want none", n)
	}
}

func TestHangingPageTimesOut(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.PageTimeout = 8 * time.Second })
	gone := make(chan struct{})
	t.Cleanup(func() { close(gone) })
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-gone:
		}
	})
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>fine</p>") })
	srv := site(t, mux)

	_, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/hang"})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "did not finish within 8s") {
		t.Fatalf("render a hanging page: got %v, want a page deadline error", err)
	}
	pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/ok"})
	if err != nil || !strings.Contains(pg.HTML, "fine") {
		t.Fatalf("render after the hang: got %v, want the page", err)
	}
	if n := b.obs.restartCount("hang"); n != 0 {
		t.Errorf("got %d hang restarts, want none: the browser itself was fine", n)
	}
}

func TestKilledBrowserIsReplacedAndPagesRetried(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	arrived := make(chan string, 8)
	var mu sync.Mutex
	seen := map[string]bool{}
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		mu.Lock()
		first := !seen[id]
		seen[id] = true
		mu.Unlock()
		if first {
			// Hold the first try of each page until the browser dies.
			arrived <- id
			<-r.Context().Done()
			return
		}
		html(w, "<p>page "+id+"</p>")
	})
	srv := site(t, mux)

	type result struct {
		pg  *Page
		err error
	}
	results := make(chan result, 2)
	for _, id := range []string{"1", "2"} {
		go func() {
			pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/slow?id=" + id})
			results <- result{pg, err}
		}()
	}
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			t.Fatal("the pages never reached the site")
		}
	}
	pid := b.pool.browserPID()
	if pid == 0 {
		t.Fatal("no browser running")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		r := <-results
		if r.err != nil {
			t.Errorf("render: %v, want the page retried in a new browser", r.err)
			continue
		}
		if r.pg.Attempts != 2 || !strings.Contains(r.pg.HTML, "<p>page ") {
			t.Errorf("got attempts %d and HTML %q, want the page on the second try", r.pg.Attempts, r.pg.HTML)
		}
	}
	if n := b.obs.restartCount("crash"); n != 1 {
		t.Errorf("got %d crash restarts, want 1", n)
	}
	if got := b.pool.browserPID(); got == pid || got == 0 {
		t.Errorf("browser pid %d after the kill (was %d), want a new browser", got, pid)
	}
}

func TestMemoryCeilingRecyclesTheBrowser(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.MemoryLimit = 1 })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>small</p>") })
	srv := site(t, mux)
	for i := range 2 {
		if _, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/"}); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
	}
	if n := b.obs.restartCount("memory"); n != 2 {
		t.Errorf("got %d memory recycles, want 2 (one after each page)", n)
	}
}

// admitter records the documents it admits and refuses one path.
type admitter struct {
	mu     sync.Mutex
	urls   []string
	refuse string
}

func (a *admitter) Admit(_ context.Context, rawURL string, _ float64, respectRobots bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.urls = append(a.urls, rawURL)
	if respectRobots && strings.Contains(rawURL, a.refuse) {
		return errors.New("robots.txt disallows " + rawURL)
	}
	return nil
}

func TestDocumentsPassPoliteness(t *testing.T) {
	t.Parallel()
	adm := &admitter{refuse: "/private"}
	b := setup(t, func(c *Config) { c.Admit = adm; c.MaxSubrequests = 2 })
	var subHits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		html(w, `<iframe src="/frame"></iframe><img src="/a.png"><img src="/b.png"><img src="/c.png"><img src="/d.png">`)
	})
	mux.HandleFunc("/frame", func(w http.ResponseWriter, r *http.Request) { html(w, "frame") })
	mux.HandleFunc("/private", func(w http.ResponseWriter, r *http.Request) { html(w, "secret") })
	mux.HandleFunc("/{img}", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, ".png") {
			subHits.Add(1)
		}
	})
	srv := site(t, mux)

	pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/", RespectRobots: true})
	if err != nil {
		t.Fatal(err)
	}
	adm.mu.Lock()
	got := strings.Join(adm.urls, " ")
	adm.mu.Unlock()
	if !strings.Contains(got, srv.URL+"/ ") && !strings.HasPrefix(got, srv.URL+"/") || !strings.Contains(got, srv.URL+"/frame") {
		t.Errorf("admitted %q, want the page and its frame", got)
	}
	// The browser may also ask for a favicon, which counts against the cap.
	if n := subHits.Load(); n > 2 || pg.Blocked < 2 {
		t.Errorf("got %d images fetched and %d requests blocked, want at most 2 and at least 2 (the cap)", n, pg.Blocked)
	}

	_, err = b.pool.Render(context.Background(), Request{URL: srv.URL + "/private", RespectRobots: true})
	if err == nil || !strings.Contains(err.Error(), "robots.txt disallows") {
		t.Errorf("render a disallowed page: got %v, want the politeness error", err)
	}
}

func TestHungBrowserIsReplaced(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.PageTimeout = 8 * time.Second })
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { html(w, "<p>fine</p>") })
	srv := site(t, mux)
	if _, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/"}); err != nil {
		t.Fatal(err)
	}
	pid := b.pool.browserPID()
	// A stopped process answers nothing: the browser hangs. (The page
	// deadline leaves a fresh browser, slow on a busy machine, room for its
	// first page.)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	if _, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("render on a hung browser: got %v, want the page deadline", err)
	}
	if n := b.obs.restartCount("hang"); n != 1 {
		t.Errorf("got %d hang restarts, want 1", n)
	}
	pg, err := b.pool.Render(context.Background(), Request{URL: srv.URL + "/"})
	if err != nil || !strings.Contains(pg.HTML, "fine") {
		t.Fatalf("render after the hang: got %v, want the page from a new browser", err)
	}
	if got := b.pool.browserPID(); got == pid {
		t.Errorf("still browser %d, want a new one", pid)
	}
}
