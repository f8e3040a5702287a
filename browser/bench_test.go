package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trawlhq/trawl/egress"
	"github.com/trawlhq/trawl/scrape"
)

// benchSite is a small shop page: 40 products of which the last 20 are
// added by a script, a stylesheet and two images.
func benchSite(b *testing.B) *httptest.Server {
	b.Helper()
	var items strings.Builder
	for i := range 20 {
		fmt.Fprintf(&items, `<li class="p"><a href="/p/%d">Product %d</a> <span class="price">%d.99</span></li>`, i, i, 10+i)
	}
	body := `<!doctype html><html><head><title>Shop</title><link rel="stylesheet" href="/s.css"></head><body>
<h1>Shop</h1><img src="/a.png"><img src="/b.png"><ul id="list">` + items.String() + `</ul>
<script>
const ul = document.getElementById("list");
for (let i = 20; i < 40; i++) {
  const li = document.createElement("li"); li.className = "p";
  li.innerHTML = '<a href="/p/' + i + '">Product ' + i + '</a> <span class="price">' + (10 + i) + '.99</span>';
  ul.appendChild(li);
}
</script></body></html>`
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(body))
	})
	mux.HandleFunc("/s.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		w.Write([]byte("body { font-family: sans-serif } .price { color: #a00 }"))
	})
	for _, p := range []string{"/a.png", "/b.png"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		})
	}
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv
}

// peak samples a memory reading every 250 ms (reading PSS costs CPU) until
// stop, and stop returns the largest.
func peak(read func() int64) (stop func() int64) {
	var max atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > max.Load() {
				max.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() int64 { close(done); wg.Wait(); return max.Load() }
}

// BenchmarkRender renders the shop page with the default pool (4 tabs),
// as many pages in flight as tabs. peak-MB is the browser's processes
// together plus this process.
func BenchmarkRender(b *testing.B) {
	for _, blocked := range []bool{false, true} {
		b.Run("blockResources="+strconv.FormatBool(blocked), func(b *testing.B) {
			exe, err := FindChromium(os.Getenv)
			if err != nil {
				b.Skipf("no Chromium: %v", err)
			}
			srv := benchSite(b)
			p, err := New(Config{ExecPath: exe, Egress: egress.Options{AllowPrivateNetworks: true}})
			if err != nil {
				b.Fatal(err)
			}
			if err := p.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			defer p.Stop(context.Background())
			req := Request{URL: srv.URL + "/", BlockResources: blocked}
			if _, err := p.Render(context.Background(), req); err != nil { // start the browser
				b.Fatal(err)
			}
			self := os.Getpid()
			stop := peak(func() int64 { return treeMemory(self) }) // the browser is a child of this process
			b.ResetTimer()
			var wg sync.WaitGroup
			var next atomic.Int64
			for range p.Tabs() {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						pg, err := p.Render(context.Background(), req)
						if err != nil || !strings.Contains(pg.HTML, "Product 39") {
							b.Errorf("render: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
			b.ReportMetric(float64(stop())/(1<<20), "peak-MB")
		})
	}
}

// BenchmarkFetch fetches the same page with the scrape.Fetcher, as many
// requests in flight as the pool has tabs and no rate limit, for
// comparison. peak-MB is this process.
func BenchmarkFetch(b *testing.B) {
	srv := benchSite(b)
	client := egress.NewClient(egress.Options{AllowPrivateNetworks: true})
	defer client.CloseIdleConnections()
	f := scrape.NewFetcher(scrape.FetcherOptions{Client: client, PerHostRate: 1e6, PerHostBurst: 1000})
	stop := peak(func() int64 { return treeMemory(os.Getpid()) })
	b.ResetTimer()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range DefaultTabs {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				resp, err := f.Fetch(context.Background(), scrape.Request{URL: srv.URL + "/"})
				if err != nil || resp.StatusCode != 200 {
					b.Errorf("fetch: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(stop())/(1<<20), "peak-MB")
}
