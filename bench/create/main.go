// Command create measures how fast trawl answers job creation while jobs
// run: it builds and starts the real trawl binary with its default
// settings (on SQLite, or on PostgreSQL with -database-url), keeps crawler
// jobs with webhooks running against local websites and a local receiver,
// and has -clients clients create small jobs for -duration, after -warmup
// at the same pace that is not counted, each one call every -interval (as a
// user's scripts would: a call that comes late counts from when it was due,
// so a stall is not hidden by the calls it held back), or back to back with
// -interval 0. As a
// reference in the same run, the same clients then read a job
// (GET /scrapers/jobs/{id}) at the same pace for as long. It prints the latency
// percentiles of both, and their ratio, for each of -runs runs and their
// median and range.
//
//	go run ./bench/create [-clients 32] [-duration 10s] [-runs 3] [-database-url postgres://…]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/bench/internal/trawlproc"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/create:", err)
		os.Exit(1)
	}
}

type options struct {
	clients     int
	interval    time.Duration
	duration    time.Duration
	warmup      time.Duration
	runs        int
	sites       int
	pages       int
	databaseURL string
	pprofAddr   string
}

func run(args []string, stdout, stderr io.Writer) error {
	o := options{}
	fs := flag.NewFlagSet("bench/create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.clients, "clients", 32, "clients creating jobs at once")
	fs.DurationVar(&o.interval, "interval", 100*time.Millisecond, "each client's pace: one call per interval (0: back to back)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "creates at the same pace before each measurement, not counted (0: none)")
	fs.IntVar(&o.runs, "runs", 3, "times to repeat the measurement")
	fs.IntVar(&o.sites, "sites", 16, "websites crawled in the background, one job each per run")
	fs.IntVar(&o.pages, "pages", 300, "pages of each background website")
	fs.StringVar(&o.databaseURL, "database-url", "", "a PostgreSQL server to run on (a fresh database is created and dropped); default: SQLite")
	fs.StringVar(&o.pprofAddr, "pprof-addr", "", "serve trawl's profiler on this loopback address (TRAWL_PPROF_ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.clients < 1 || o.runs < 1 || o.sites < 0 || o.pages < 1 || o.duration <= 0 || o.interval < 0 || o.warmup < 0 {
		return errors.New("-clients, -runs and -pages must be at least 1, -sites, -interval and -warmup at least 0, -duration positive")
	}
	ctx := context.Background()
	var sites []*httptest.Server
	for range max(o.sites, 1) {
		sites = append(sites, httptest.NewServer(trawlproc.Site(o.pages)))
	}
	defer func() {
		for _, s := range sites {
			s.Close()
		}
	}()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer receiver.Close()

	var extra []string
	if o.pprofAddr != "" {
		extra = append(extra, "TRAWL_PPROF_ADDR="+o.pprofAddr)
	}
	tr, err := trawlproc.Start(ctx, trawlproc.Options{DatabaseURL: o.databaseURL, Env: extra})
	if err != nil {
		return err
	}
	defer tr.Stop()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients}}

	pace := "back to back"
	if o.interval > 0 {
		pace = fmt.Sprintf("one call per %v each (%.0f calls/s offered)", o.interval, float64(o.clients)/o.interval.Seconds())
	}
	fmt.Fprintf(stdout, "backend %s, %s, %d CPUs; %d clients, %s, %v each measurement after %v of warm-up; %d crawler jobs with webhooks running\n",
		tr.Backend, runtime.Version(), runtime.NumCPU(), o.clients, pace, o.duration, o.warmup, o.sites)
	var creates, gets []percentiles
	for i := range o.runs {
		// The background: crawls storing rows and sending webhooks.
		for _, s := range sites[:o.sites] {
			body := fmt.Sprintf(`{"urls":[%q],"webhook":{"url":%q}}`, s.URL, receiver.URL)
			if err := trawlproc.Call(ctx, client, "POST", tr.Base+"/scrapers/crawler/jobs", body, nil); err != nil {
				return err
			}
		}
		var last struct{ ID int64 }
		body := fmt.Sprintf(`{"urls":[%q],"maxDepth":0,"limit":1}`, sites[0].URL)
		create := func(ctx context.Context) error {
			return trawlproc.Call(ctx, client, "POST", tr.Base+"/scrapers/crawler/jobs", body, &last)
		}
		if o.warmup > 0 {
			// The crawls start, the database pool fills, the first
			// statements are planned: a server that has run for a while has
			// done all that.
			warm := o
			warm.duration = o.warmup
			if _, err := measure(ctx, warm, create); err != nil {
				return err
			}
		}
		c, err := measure(ctx, o, create)
		if err != nil {
			return err
		}
		url := fmt.Sprintf("%s/scrapers/jobs/%d", tr.Base, last.ID)
		g, err := measure(ctx, o, func(ctx context.Context) error {
			return trawlproc.Call(ctx, client, "GET", url, "", nil)
		})
		if err != nil {
			return err
		}
		creates, gets = append(creates, c), append(gets, g)
		fmt.Fprintf(stdout, "run %d (load average %s): create %s; GET %s; p99 ratio %.2f\n", i+1, loadAverage(),
			c, g, c.p99.Seconds()/g.p99.Seconds())
	}
	fmt.Fprintf(stdout, "\n| %s, %d clients (%d runs) | median | min | max |\n|---|---:|---:|---:|\n", tr.Backend, o.clients, o.runs)
	row := func(name string, list []percentiles, f func(percentiles) float64, unit string) {
		v := make([]float64, len(list))
		for i, p := range list {
			v[i] = f(p)
		}
		slices.Sort(v)
		fmt.Fprintf(stdout, "| %s | %.1f%s | %.1f%s | %.1f%s |\n", name, v[len(v)/2], unit, v[0], unit, v[len(v)-1], unit)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	row("create p50", creates, func(p percentiles) float64 { return ms(p.p50) }, " ms")
	row("create p99", creates, func(p percentiles) float64 { return ms(p.p99) }, " ms")
	row("creates/s", creates, func(p percentiles) float64 { return p.rate }, "")
	row("GET p50 (reference)", gets, func(p percentiles) float64 { return ms(p.p50) }, " ms")
	row("GET p99 (reference)", gets, func(p percentiles) float64 { return ms(p.p99) }, " ms")
	ratios := make([]percentiles, len(creates))
	for i := range creates {
		ratios[i] = percentiles{rate: creates[i].p99.Seconds() / gets[i].p99.Seconds()}
	}
	row("create p99 / GET p99", ratios, func(p percentiles) float64 { return p.rate }, "")
	return nil
}

// percentiles are one measurement's latencies.
type percentiles struct {
	n             int
	p50, p90, p99 time.Duration
	max           time.Duration
	rate          float64 // calls per second
}

func (p percentiles) String() string {
	return fmt.Sprintf("%d calls (%.0f/s), p50 %v p90 %v p99 %v max %v", p.n, p.rate, p.p50.Round(10*time.Microsecond),
		p.p90.Round(10*time.Microsecond), p.p99.Round(10*time.Microsecond), p.max.Round(10*time.Microsecond))
}

// measure runs call from o.clients goroutines for o.duration and returns
// the latency percentiles.
func measure(ctx context.Context, o options, call func(context.Context) error) (percentiles, error) {
	var mu sync.Mutex
	var took []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	begin := time.Now()
	end := begin.Add(o.duration)
	for c := range o.clients {
		wg.Go(func() {
			var mine []time.Duration
			// Paced clients start spread over one interval.
			due := begin.Add(time.Duration(c) * o.interval / time.Duration(o.clients))
			for time.Now().Before(end) {
				start := time.Now()
				if o.interval > 0 {
					time.Sleep(time.Until(due))
					start = due
					due = due.Add(o.interval)
				}
				if err := call(ctx); err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			took = append(took, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return percentiles{}, firstErr
	}
	if len(took) == 0 {
		return percentiles{}, errors.New("no call completed")
	}
	slices.Sort(took)
	q := func(f float64) time.Duration { return took[min(len(took)-1, int(f*float64(len(took))))] }
	return percentiles{n: len(took), p50: q(.50), p90: q(.90), p99: q(.99), max: took[len(took)-1],
		rate: float64(len(took)) / o.duration.Seconds()}, nil
}

// loadAverage is the 1-minute load average, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}
