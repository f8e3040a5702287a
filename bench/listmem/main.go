// Command listmem measures how much memory trawl needs to list jobs with
// large inputs: it builds and starts the real trawl binary on SQLite,
// creates jobs whose create bodies are close to the 1 MiB limit (100 start
// URLs of 2,000 characters and 50 path patterns of 10,000 characters, all
// fields the crawler knows, plus 200 KB of fields it does not), stops them,
// then has several clients list 100 jobs at once, several rounds, and
// reports the trawl process's peak resident set size (VmHWM) during the
// listings, reset just before them.
//
//	go run ./bench/listmem [-jobs 100] [-concurrency 8] [-rounds 3]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trawlhq/trawl/bench/internal/trawlproc"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench/listmem:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench/listmem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jobs := fs.Int("jobs", 100, "jobs to create")
	concurrency := fs.Int("concurrency", 8, "clients listing at once")
	rounds := fs.Int("rounds", 3, "listings per client")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if runtime.GOOS != "linux" {
		return errors.New("peak RSS is read from /proc: Linux only")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	tr, err := trawlproc.Start(ctx, trawlproc.Options{Env: []string{"TRAWL_SCRAPE_WORKERS=1"}})
	if err != nil {
		return err
	}
	defer tr.Stop()
	base := tr.Base
	client := &http.Client{Timeout: 2 * time.Minute}

	body := bigBody()
	start := time.Now()
	for range *jobs {
		var rec struct{ ID int64 }
		if err := trawlproc.Call(ctx, client, "POST", base+"/scrapers/crawler/jobs", body, &rec); err != nil {
			return err
		}
		if err := trawlproc.Call(ctx, client, "DELETE", fmt.Sprintf("%s/scrapers/jobs/%d", base, rec.ID), "", nil); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "created %d jobs with %d-byte bodies in %s\n", *jobs, len(body), time.Since(start).Round(time.Millisecond))

	pid := tr.PID()
	idle, _ := status(pid, "VmRSS")
	// Reset the peak so that it measures the listings only.
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS: %w", err)
	}
	start = time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	var listed int64
	for range *concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range *rounds {
				n, err := list(ctx, client, base+"/scrapers/jobs?limit=100")
				mu.Lock()
				listed += n
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	took := time.Since(start)
	peak, err := status(pid, "VmHWM")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d clients × %d rounds of GET /scrapers/jobs?limit=100: %.1f MB of JSON in %s\n",
		*concurrency, *rounds, float64(listed)/1e6, took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "trawl RSS before: %.1f MB; peak during the listings (VmHWM): %.1f MB\n", idle/1024, peak/1024)
	fmt.Fprintf(stdout, "machine: %d CPUs, %s %s/%s\n", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// bigBody is a crawler create body of about 960 KB: known fields that the
// job keeps (and lists) and unknown ones that it drops.
func bigBody() string {
	var b strings.Builder
	b.WriteString(`{"maxDepth":0,"urls":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"http://127.0.0.1:1/%d/%s"`, i, strings.Repeat("a", 1970))
	}
	b.WriteString(`],"includePaths":[`)
	for i := range 50 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"^/%d/%s"`, i, strings.Repeat("b", 10000))
	}
	fmt.Fprintf(&b, `],"notAField":%q}`, strings.Repeat("c", 200_000))
	return b.String()
}

// list reads one listing to the end and returns its size.
func list(ctx context.Context, client *http.Client, url string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("x-api-key", trawlproc.APIKey)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		return n, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return n, err
}

// status reads a kB figure from /proc/pid/status.
func status(pid int, field string) (float64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(raw) {
		name, value, ok := strings.Cut(string(line), ":")
		if ok && name == field {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
			return kb, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
