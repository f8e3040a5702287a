// Command jobs measures trawl's crawl throughput end to end: it builds and
// starts the real trawl binary (on SQLite, or on PostgreSQL with
// -database-url), serves local websites on 127.0.0.1, submits crawler jobs
// over the HTTP API and times them until every job has finished, reporting
// pages (tasks) per second and the CPU time per page of trawl and the sites.
// By default it crawls one 3,000-page site with the operator's limits raised
// for 127.0.0.1 (TRAWL_HOST_LIMITS).
//
// In the same run it crawls the same sites with a bare crawler for
// reference: net/http and trawl's own HTML parsing (links and text), the same
// concurrency per site, nothing stored. It prints trawl's ratio to it.
//
//	go run ./bench/jobs [-sites 1] [-pages 2999] [-concurrency 256] [-workers 256] [-database-url postgres://…] [-src dir]
package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/trawlhq/trawl/scrape/page"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/trawlhq/trawl/bench/internal/trawlproc"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/jobs:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench/jobs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sites := fs.Int("sites", 1, "websites, one crawler job each")
	pages := fs.Int("pages", 2999, "pages linked from each site's home page (a job stores pages+1 rows)")
	concurrency := fs.Int("concurrency", 256, "requests in flight per site, for trawl (the host limit) and for the bare crawler")
	rps := fs.Float64("rps", 100000, "requests per second per site allowed to trawl (the host limit)")
	workers := fs.Int("workers", 256, "TRAWL_SCRAPE_WORKERS (and TRAWL_ACCOUNT_CONCURRENCY)")
	src := fs.String("src", ".", "the trawl source tree to build (e.g. a worktree of an older commit)")
	databaseURL := fs.String("database-url", "", "a PostgreSQL server to run on (a fresh database is created and dropped); default: SQLite")
	timeout := fs.Duration("timeout", 10*time.Minute, "longest wait for the jobs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *sites < 1 || *pages < 1 {
		return errors.New("-sites and -pages must be at least 1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	env := []string{fmt.Sprintf("TRAWL_HOST_LIMITS=127.0.0.1=%g/%d", *rps, *concurrency),
		fmt.Sprintf("TRAWL_SCRAPE_WORKERS=%d", *workers), fmt.Sprintf("TRAWL_ACCOUNT_CONCURRENCY=%d", *workers)}

	var servers []*httptest.Server
	for range *sites {
		servers = append(servers, httptest.NewServer(trawlproc.Site(*pages)))
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()

	want := int64(*sites * (*pages + 1))
	bare, err := bareCrawl(ctx, servers, *concurrency)
	if err != nil {
		return err
	}
	if bare.pages != want {
		return fmt.Errorf("the bare crawler read %d pages, want %d", bare.pages, want)
	}

	tr, err := trawlproc.Start(ctx, trawlproc.Options{Src: *src, DatabaseURL: *databaseURL, Env: env})
	if err != nil {
		return err
	}
	defer tr.Stop()
	base, pid, backend := tr.Base, tr.PID(), tr.Backend

	// trawl's CPU while idle (River's polling, heartbeats), to tell the
	// per-page cost from the baseline on slow, polite crawls.
	idleStart, idleCPU := time.Now(), processCPU(pid)
	time.Sleep(3 * time.Second)
	idle := (processCPU(pid) - idleCPU).Seconds() / time.Since(idleStart).Seconds() // CPU seconds per second

	client := &http.Client{Timeout: 30 * time.Second}
	selfBefore, trawlBefore := selfCPU(), processCPU(pid)
	start := time.Now()
	var ids []int64
	for _, s := range servers {
		var rec struct{ ID int64 }
		body := fmt.Sprintf(`{"urls":[%q]}`, s.URL)
		if err := trawlproc.Call(ctx, client, "POST", base+"/scrapers/crawler/jobs", body, &rec); err != nil {
			return err
		}
		ids = append(ids, rec.ID)
	}
	var rows, credits int64
	for _, id := range ids {
		for {
			var rec struct {
				Status        string
				DataRowsCount int64
				CreditsSpent  int64
			}
			if err := trawlproc.Call(ctx, client, "GET", fmt.Sprintf("%s/scrapers/jobs/%d", base, id), "", &rec); err != nil {
				return err
			}
			if rec.Status == "finished" || rec.Status == "stopped" || rec.Status == "failed" {
				rows += rec.DataRowsCount
				credits += rec.CreditsSpent
				break
			}
			// Poll often on short runs, less on long ones: the polls cost
			// trawl CPU too, and a slow crawl would be measured with them.
			select {
			case <-ctx.Done():
				return fmt.Errorf("job %d did not finish: %w", id, ctx.Err())
			case <-time.After(min(500*time.Millisecond, max(10*time.Millisecond, time.Since(start)/20))):
			}
		}
	}
	trawlRun := result{pages: rows, elapsed: time.Since(start),
		cpu: processCPU(pid) - trawlBefore + selfCPU() - selfBefore}
	trawlNet := trawlRun.cpuPerPage() - idle*trawlRun.elapsed.Seconds()*1000/float64(rows)
	if rows != want {
		return fmt.Errorf("stored %d rows, want %d", rows, want)
	}
	if credits != want {
		return fmt.Errorf("%d credits spent, want one per page: %d", credits, want)
	}
	snoozeDriver, snoozeDSN := "sqlite", "file:"+filepath.Join(tr.Dir, "trawl.db")+"?mode=ro"
	if tr.DatabaseURL != "" {
		snoozeDriver, snoozeDSN = "pgx", tr.DatabaseURL
	}
	tasks, snoozes, err := taskRuns(ctx, snoozeDriver, snoozeDSN)
	if err != nil {
		return err
	}
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(stdout, "backend %s, %s, %d CPUs, load average %s\n", backend, runtime.Version(), runtime.NumCPU(),
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	fmt.Fprintf(stdout, "%d site(s) × %d pages, %d in flight per site; trawl with TRAWL_HOST_LIMITS=127.0.0.1=%g/%d, %d scrape workers\n",
		*sites, *pages+1, *concurrency, *rps, *concurrency, *workers)
	fmt.Fprintf(stdout, "| crawler | pages | seconds | pages/s | CPU ms per page (crawler + sites) |\n|---|---|---|---|---|\n")
	for _, r := range []struct {
		name string
		res  result
	}{{"trawl " + backend, trawlRun}, {"bare net/http", bare}} {
		fmt.Fprintf(stdout, "| %s | %d | %.2f | %.0f | %.3f |\n", r.name, r.res.pages, r.res.elapsed.Seconds(), r.res.rate(), r.res.cpuPerPage())
	}
	fmt.Fprintf(stdout, "trawl/bare: pages/s %.3f, CPU per page %.1f×\n", trawlRun.rate()/bare.rate(), trawlRun.cpuPerPage()/bare.cpuPerPage())
	fmt.Fprintf(stdout, "trawl idle: %.1f ms CPU a second; CPU per page net of idle: %.3f ms\n", idle*1000, trawlNet)
	fmt.Fprintf(stdout, "task runs put back (snoozed) while their host was busy: %d for %d tasks\n", snoozes, tasks)
	return nil
}

// taskRuns counts the crawl's task jobs in River and how often they were
// snoozed (taken by a worker, then put back because their host was busy).
func taskRuns(ctx context.Context, driver, dsn string) (tasks, snoozes int64, err error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	q := `SELECT count(*), coalesce(sum(CAST(json_extract(metadata, '$.snoozes') AS INTEGER)), 0) FROM river_job WHERE kind = 'trawl_job_task'`
	if driver == "pgx" {
		q = `SELECT count(*), coalesce(sum((metadata->>'snoozes')::int), 0) FROM river_job WHERE kind = 'trawl_job_task'`
	}
	if err := db.QueryRowContext(ctx, q).Scan(&tasks, &snoozes); err != nil {
		return 0, 0, fmt.Errorf("count task runs: %w", err)
	}
	return tasks, snoozes, nil
}

// result is one crawl's measure.
type result struct {
	pages   int64
	elapsed time.Duration
	cpu     time.Duration // user + system
}

func (r result) rate() float64 { return float64(r.pages) / r.elapsed.Seconds() }

func (r result) cpuPerPage() float64 {
	return float64(r.cpu) / float64(time.Millisecond) / float64(max(r.pages, 1))
}

// bareCrawl crawls each site from its home page with concurrency workers:
// fetch, parse with trawl's page parser (title, text and links), follow
// same-host links not yet seen. It stores nothing.
func bareCrawl(ctx context.Context, servers []*httptest.Server, concurrency int) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: concurrency}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	before := selfCPU()
	start := time.Now()
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(servers))
	for _, srv := range servers {
		wg.Go(func() {
			n, err := bareSite(ctx, client, srv.URL+"/", concurrency)
			total.Add(n)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return result{}, err
		}
	}
	return result{pages: total.Load(), elapsed: time.Since(start), cpu: selfCPU() - before}, nil
}

func bareSite(ctx context.Context, client *http.Client, home string, concurrency int) (int64, error) {
	homeURL, err := url.Parse(home)
	if err != nil {
		return 0, err
	}
	var mu sync.Mutex
	seen := map[string]bool{home: true}
	queue := []string{home}
	pending := 0 // pages being fetched
	cond := sync.NewCond(&mu)
	var pages int64
	var firstErr error
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				mu.Lock()
				for len(queue) == 0 && pending > 0 && firstErr == nil {
					cond.Wait()
				}
				if len(queue) == 0 || firstErr != nil {
					mu.Unlock()
					cond.Broadcast()
					return
				}
				u := queue[0]
				queue = queue[1:]
				pending++
				mu.Unlock()

				links, err := barePage(ctx, client, u)
				mu.Lock()
				pending--
				if err != nil && firstErr == nil {
					firstErr = err
				}
				pages++
				for _, l := range links {
					lu, err := url.Parse(l)
					if err != nil || lu.Host != homeURL.Host || seen[l] {
						continue
					}
					seen[l] = true
					queue = append(queue, l)
				}
				mu.Unlock()
				cond.Broadcast()
			}
		})
	}
	wg.Wait()
	return pages, firstErr
}

func barePage(ctx context.Context, client *http.Client, rawURL string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	pg, err := page.ParsePage(body, resp.Header.Get("Content-Type"), resp.Request.URL, page.Formats{Text: true})
	if err != nil {
		return nil, err
	}
	return pg.Links, nil
}

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time process pid has used (Linux; 0 elsewhere).
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100
